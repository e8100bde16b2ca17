"""Användare: accounts, roles, locks and passwords (admin only). Changes go through pax_geo.auth
on the owner connection and are audited there; the list is read through the admin login."""

import pandas as pd
import streamlit as st

from pax_geo import auth, db, queries
from pax_geo.layers import ROLES
from pax_geo.ui import session

t = session.t
user = session.require_page("users")

st.title(t("page_users"))
st.caption(t("users_intro"))
message = st.session_state.pop("users_msg", None)
if message:
    st.success(message)

with session.reader() as conn:
    accounts = auth.list_users(conn)
    districts = queries.areas(conn, ("district",))
    munis = queries.municipalities(conn)
muni_names = dict(zip(munis["code"], munis["name"], strict=True))
several = len(muni_names) > 1  # an administrator of several municipalities chooses among them
area_names = dict(zip(districts["id"].astype(int), districts["name"], strict=True))
session.audit_page_view("users", {})


def _state(a: dict) -> str:
    if a["disabled"]:
        return t("users_state_disabled")
    if a["locked_until"] is not None:
        return t("users_state_locked", time=f"{a['locked_until']:%Y-%m-%d %H:%M}")
    return t("users_state_active")


table = pd.DataFrame(
    [
        {
            t("users_col_username"): a["username"],
            t("users_col_name"): a["display_name"],
            t("users_col_email"): a["email"] or "",
            t("users_col_role"): t(f"role_{a['role']}"),
            t("users_area"): area_names.get(a["area_id"], ""),
            **(
                {
                    t("users_municipalities"): ", ".join(
                        muni_names.get(c, c) for c in a["municipalities"] or []
                    )
                }
                if several
                else {}
            ),
            t("users_col_state"): _state(a),
            t("users_col_last_login"): (
                f"{a['last_login_at']:%Y-%m-%d %H:%M}" if a["last_login_at"] else ""
            ),
        }
        for a in accounts
    ]
)
st.dataframe(table, hide_index=True, width="stretch")


def _run(change) -> bool:
    try:
        with db.owner_engine().begin() as conn:
            change(conn)
    except auth.AuthError as exc:
        st.error(t("users_error", error=str(exc)))
        return False
    return True


# Locked accounts, each with its own unlock button: works for any account, another
# administrator's included, and never needs the locked account itself.
st.subheader(t("users_locked_heading"))
locked = [a for a in accounts if a["locked_until"] is not None]
if not locked:
    st.caption(t("users_locked_none"))
for a in locked:
    c1, c2 = st.columns([3, 2], vertical_alignment="center")
    role_label = t("role_" + a["role"])
    c1.write(f"**{a['username']}** · {role_label} · {_state(a)}")
    if c2.button(
        t("users_unlock_one", username=a["username"]),
        key=f"users_unlock_{a['username']}",
        icon=":material/lock_open:",
    ):
        if _run(
            lambda conn, name=a["username"]: auth.apply_admin_change(
                conn, user.username, name, "unlock", actor_role=user.role
            )
        ):
            st.session_state["users_msg"] = t(
                "users_done", action=t("users_action_unlock"), username=a["username"]
            )
            st.rerun()
if locked:
    st.caption(t("users_locked_help"))

with st.expander(t("users_add"), icon=":material/person_add:"):
    with st.form("users_add_form"):
        c1, c2 = st.columns(2)
        new_name = c1.text_input(t("users_col_username"), key="users_new_username", max_chars=64)
        new_display = c2.text_input(t("users_display_name"), key="users_new_display", max_chars=200)
        new_email = c1.text_input(t("users_col_email"), key="users_new_email", max_chars=320)
        new_role = c2.selectbox(
            t("users_col_role"), ROLES, key="users_new_role", format_func=lambda r: t(f"role_{r}")
        )
        new_area = c1.selectbox(
            t("users_area"),
            [None, *area_names],
            key="users_new_area",
            format_func=lambda i: t("users_no_area") if i is None else area_names[i],
        )
        new_munis = (
            c1.multiselect(
                t("users_municipalities"),
                list(muni_names),
                key="users_new_municipalities",
                format_func=lambda c: muni_names[c],
                placeholder=t("users_municipalities_placeholder"),
                help=t("users_municipalities_help"),
            )
            if several
            else None
        )
        new_pw = c2.text_input(
            t("users_password_new", n=auth.MIN_PASSWORD_LENGTH),
            type="password",
            key="users_new_password",
            max_chars=auth.MAX_PASSWORD_LENGTH,
        )
        if st.form_submit_button(t("users_add"), type="primary"):
            ok = _run(
                lambda conn: auth.add_user(
                    conn,
                    new_name,
                    new_role,
                    password=new_pw or None,
                    display_name=new_display or None,
                    email=new_email or None,
                    area=new_area,
                    municipalities=new_munis or None,
                    actor=user.username,
                    actor_role=user.role,
                )
            )
            if ok:
                st.session_state["users_msg"] = t(
                    "users_added", username=auth.normalize_username(new_name)
                )
                st.rerun()

st.subheader(t("users_change"))
with st.form("users_change_form"):
    c1, c2 = st.columns(2)
    target = c1.selectbox(t("users_select"), [a["username"] for a in accounts], key="users_target")
    action = c2.selectbox(
        t("users_action"),
        auth.ADMIN_ACTIONS,
        key="users_change_action",
        format_func=lambda a: t(f"users_action_{a}"),
    )
    role = c1.selectbox(
        t("users_col_role"), ROLES, key="users_change_role", format_func=lambda r: t(f"role_{r}")
    )
    password = c2.text_input(
        t("users_password_reset", n=auth.MIN_PASSWORD_LENGTH),
        type="password",
        key="users_change_password",
        max_chars=auth.MAX_PASSWORD_LENGTH,
    )
    email = c1.text_input(t("users_col_email"), key="users_change_email", max_chars=320)
    if st.form_submit_button(t("users_apply"), type="primary") and target:
        ok = _run(
            lambda conn: auth.apply_admin_change(
                conn,
                user.username,
                target,
                action,
                role=role,
                password=password,
                email=email,
                actor_role=user.role,
            )
        )
        if ok:
            st.session_state["users_msg"] = t(
                "users_done", action=t(f"users_action_{action}"), username=target
            )
            st.rerun()
