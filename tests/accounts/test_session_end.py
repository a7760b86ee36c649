"""Sessions end for good: a saved session or remember-me cookie replayed after sign-out, a password change or an
admin's reset is refused; sign-out ends only its own sign-in; the CSRF token changes at sign-in."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import services as accounts
from meeting_hub.extensions import db
from tests import factories

REMEMBER_COOKIE = "remember_token"


def _sign_in(app: Flask, username: str = "leader", *, remember: bool = False) -> FlaskClient:
    client = app.test_client()
    data = {"username": username, "password": factories.PASSWORD} | ({"remember": "y"} if remember else {})
    assert client.post("/sign-in", data=data).status_code == 302
    return client


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _replay(app: Flask, **cookies: str) -> int:
    """Return the status of GET /api/v1/me from a fresh client holding only these (saved) cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/api/v1/me").status_code


def test_a_saved_session_cookie_is_refused_after_sign_out(app: Flask, network: factories.SmallNetwork) -> None:
    client = _sign_in(app)
    saved = _cookie(client, "session")
    assert _replay(app, session=saved) == 200
    assert client.post("/sign-out").status_code == 302
    assert _replay(app, session=saved) == 401


def test_a_saved_remember_me_cookie_is_refused_after_sign_out(app: Flask, network: factories.SmallNetwork) -> None:
    client = _sign_in(app, remember=True)
    client.get("/")  # Flask-Login writes the remember-me cookie after the request that signs in
    remembered = _cookie(client, REMEMBER_COOKIE)
    assert _replay(app, **{REMEMBER_COOKIE: remembered}) == 200
    assert client.post("/sign-out").status_code == 302
    assert _replay(app, **{REMEMBER_COOKIE: remembered}) == 401


def test_sign_out_ends_only_its_own_sign_in(app: Flask, network: factories.SmallNetwork) -> None:
    phone, laptop = _sign_in(app), _sign_in(app)
    assert phone.post("/sign-out").status_code == 302
    assert laptop.get("/api/v1/me").status_code == 200


def test_signing_in_over_another_sign_in_ends_that_one(app: Flask, network: factories.SmallNetwork) -> None:
    client = _sign_in(app, "leader")
    saved = _cookie(client, "session")
    assert client.post("/sign-in", data={"username": "organizer", "password": factories.PASSWORD}).status_code == 302
    assert client.get("/api/v1/me").json["username"] == "organizer"
    assert _replay(app, session=saved) == 401


def test_saved_cookies_are_refused_after_a_password_change(app: Flask, network: factories.SmallNetwork) -> None:
    changer, other = _sign_in(app), _sign_in(app, remember=True)
    other.get("/")
    saved_session, remembered = _cookie(other, "session"), _cookie(other, REMEMBER_COOKIE)
    response = changer.post(
        "/profile/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "doi-mat-khau-moi-2026",
            "confirm_password": "doi-mat-khau-moi-2026",
        },
    )
    assert response.status_code == 302
    assert changer.get("/api/v1/me").status_code == 200  # the session that made the change goes on
    assert _replay(app, session=saved_session) == 401
    assert _replay(app, **{REMEMBER_COOKIE: remembered}) == 401


def test_saved_cookies_are_refused_after_an_admin_resets_the_password(
    app: Flask, network: factories.SmallNetwork
) -> None:
    user_client = _sign_in(app, remember=True)
    user_client.get("/")
    saved_session, remembered = _cookie(user_client, "session"), _cookie(user_client, REMEMBER_COOKIE)
    with app.app_context():
        user = accounts.find_user("leader")
        data = accounts.UserData(
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            password="dat-lai-boi-admin-2026",
        )
        accounts.update_user(user, data, accounts.find_user("admin"))
        db.session.commit()
    assert _replay(app, session=saved_session) == 401
    assert _replay(app, **{REMEMBER_COOKIE: remembered}) == 401


def test_the_csrf_token_changes_at_sign_in(app: Flask, network: factories.SmallNetwork) -> None:
    client = app.test_client()
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["csrf_token"] = "seen-before-sign-in"  # e.g. planted by someone who used the browser before
    assert client.post("/sign-in", data={"username": "leader", "password": factories.PASSWORD}).status_code == 302
    with client.session_transaction() as session:
        assert session.get("csrf_token") != "seen-before-sign-in"


def test_a_session_id_without_its_sign_in_no_longer_loads(app: Flask, network: factories.SmallNetwork) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        # What a cookie signed before sign-ins were recorded looked like: it could never be ended.
        session["_user_id"] = f"{network.leader.id}:1"
        session["_fresh"] = True
    assert client.get("/api/v1/me").status_code == 401
