"""Schemathesis hooks for Keygate (loaded through SCHEMATHESIS_HOOKS).

The run authenticates with one admin key (KEYGATE_ADMIN_ID is its id).
Deleting, rolling or editing that very key is legal, but it would end the
run's credential half-way, so those cases are skipped; every other key,
including the ones the run creates, is fair game.
"""

import os

import schemathesis

ADMIN_ID = os.environ.get("KEYGATE_ADMIN_ID", "")


@schemathesis.hook
def filter_case(ctx, case):
    if ADMIN_ID and (case.path_parameters or {}).get("id") == ADMIN_ID:
        return False
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("ids"), list):
        return ADMIN_ID not in body["ids"]
    return True
