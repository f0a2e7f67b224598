import pytest

from tests.server.conftest import RunningServer


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    """Tests here only touch their own users: share one server per module."""
    return shared_server


def test_login_describe_logout(server: RunningServer) -> None:
    user = server.new_user()
    me = user.client.get("/v1/session")
    assert me.status_code == 200
    assert me.json()["name"] == user.name
    assert user.client.delete("/v1/session").status_code == 204
    again = user.client.get("/v1/session")
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"
