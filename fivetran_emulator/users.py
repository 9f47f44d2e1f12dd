"""`/v1/users` and `/v1/account/info`: who the API key belongs to.

The emulator's account has one user, the owner of the configured API key (`connected_by` of every connection
it creates). Clients call the users list as their "test connection".
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from . import ids, rules
from .envelope import Call, Reply, page_of, success
from .errors import ApiError

ACCOUNT_ID = "emulated_account"


class Users:
    def __init__(self, api_key: str) -> None:
        started = rules.timestamp()
        self.user: dict[str, Any] = {
            "id": ids.user_id_for_key(api_key),
            "email": "owner@emulated-account.example",
            "given_name": "Emulated",
            "family_name": "Owner",
            "verified": True,
            "invited": False,
            "active": True,
            "role": "Account Administrator",
            "logged_in_at": started,
            "created_at": started,
        }

    def rules(self) -> list[Rule]:
        return [
            Rule("/v1/users", methods=["GET"], endpoint=self.list_users),
            Rule("/v1/users/<user_id>", methods=["GET"], endpoint=self.get_user),
            Rule("/v1/account/info", methods=["GET"], endpoint=self.account_info),
        ]

    def list_users(self, call: Call) -> Reply:
        """`GET /v1/users?cursor=&limit=`."""
        return success("Users list retrieved successfully", page_of([self.user], call))

    def get_user(self, call: Call, user_id: str) -> Reply:
        """`GET /v1/users/{id}`; 404 `NotFound_User` for anyone else."""
        if user_id != self.user["id"]:
            raise ApiError(404, "NotFound_User", f"User with id '{user_id}' does not exist (GET /v1/users).")
        return success("User details retrieved successfully", self.user)

    def account_info(self, call: Call) -> Reply:
        """`GET /v1/account/info`: the account, and the user the API key belongs to."""
        return success("Account information retrieved successfully",
                       {"account_id": ACCOUNT_ID, "account_name": "Emulated account", "user_id": self.user["id"]})
