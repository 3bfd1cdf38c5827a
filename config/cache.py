"""Django's Redis cache, with one Redis client per connection pool.

Django's backend makes a new `redis.Redis` client for every cache call (each one a few
hundred microseconds of Python), although a client holds no state of its own between
commands: the connections are the pool's. A request answered from the cache makes
several calls (data tokens, the answer, the patients' details), so the client is made
once per pool and used again; and its keys are not checked against memcached's rules.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def validate_key(self, key: str) -> None:
        """Nothing to check: Redis takes a key of any length and any bytes. Django checks
        every key of every backend against memcached's rules, which a page of the patient
        list (some fifty keys read at once) pays for at each request."""
