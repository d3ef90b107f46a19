"""Every state change of the organisation domain, one action function each: organisations.py (organisations,
departments, categories) and users.py (staff accounts). Channel accounts are channels/accounts.py's; deadline
policies, closure days and business hours cases/deadlines/actions.py's.
"""

from sotong.orgs.actions.organisations import (
    create_category,
    create_department,
    create_organisation,
    import_standard_categories,
    map_category,
    set_chatter_reply,
    set_publication,
    update_category,
    update_department,
)
from sotong.orgs.actions.twofactor import (
    begin_enrolment,
    check_code,
    confirm_enrolment,
    new_recovery_codes,
    reset_two_factor,
    set_two_factor_required,
    turn_off,
    unused_recovery_codes,
)
from sotong.orgs.actions.users import (
    change_role,
    create_user,
    deactivate_user,
    end_sessions,
    reset_password,
    set_password,
    set_user_active,
    update_user,
)

__all__ = [
    "begin_enrolment",
    "change_role",
    "check_code",
    "confirm_enrolment",
    "create_category",
    "create_department",
    "create_organisation",
    "create_user",
    "deactivate_user",
    "end_sessions",
    "import_standard_categories",
    "map_category",
    "new_recovery_codes",
    "reset_password",
    "reset_two_factor",
    "set_chatter_reply",
    "set_password",
    "set_publication",
    "set_two_factor_required",
    "set_user_active",
    "turn_off",
    "unused_recovery_codes",
    "update_category",
    "update_department",
    "update_user",
]
