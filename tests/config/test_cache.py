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
