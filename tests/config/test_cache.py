"""The Redis cache backend (config.cache) makes one client per connection pool."""

from config.cache import RedisCache


def backend(servers: str) -> RedisCache:
    # Making clients opens no connection: no Redis server is needed.
    return RedisCache(servers, {})


def test_it_uses_one_client_for_every_call():
    client = backend("redis://127.0.0.1:6379/0")._cache

    assert client.get_client("a") is client.get_client("b", write=True)


def test_it_gives_each_server_its_own_client():
    client = backend("redis://127.0.0.1:6379/0,redis://127.0.0.1:6380/0")._cache

    writer, reader = client.get_client(write=True), client.get_client()

    assert writer is not reader
    assert writer.connection_pool is not reader.connection_pool
    assert client.get_client(write=True) is writer


def test_it_keeps_keys_memcached_would_refuse_without_a_warning(recwarn):
    # A real Redis (127.0.0.1:6379), under a prefix of this test's own.
    cache = RedisCache("redis://127.0.0.1:6379/0", {"KEY_PREFIX": "test-config-cache"})
    key = "a key with spaces and " + "x" * 300
    try:
        cache.set(key, "kept", 60)
        assert cache.get_many([key]) == {key: "kept"}
    finally:
        cache.delete(key)
    assert not [warning for warning in recwarn if "memcached" in str(warning.message)]
