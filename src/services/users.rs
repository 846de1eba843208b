//! Users: validation, and revoking their refresh tokens when what their tokens say changes.

use entity::{refresh_tokens, units, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::common::{self, Resource, live};
use crate::db;
use crate::domain::{Classification, Role, Stored};
use crate::error::{ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::users::{CreateUserRequest, UpdateUserRequest, UserListParams};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::principals::{User, parse_words};

/// The writable state of a user; `password_hash` is computed before the draft is built.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDraft {
    pub username: String,
    pub display_name: String,
    pub unit_id: Uuid,
    pub roles: Vec<Role>,
    pub clearance: Classification,
    pub disabled: bool,
    pub password_hash: String,
}

impl UserDraft {
    pub fn new(r: CreateUserRequest, password_hash: String) -> Self {
        Self {
            username: r.username,
            display_name: r.display_name,
            unit_id: r.unit_id,
            roles: r.roles,
            clearance: r.clearance.unwrap_or(Classification::Internal),
            disabled: false,
            password_hash,
        }
    }
}

impl UpdateUserRequest {
    /// Applies the patch; a new password arrives already hashed.
    pub fn apply(self, d: &mut UserDraft, new_hash: Option<String>, errors: &mut Vec<FieldError>) {
        self.display_name.apply_required("display_name", &mut d.display_name, errors);
        self.unit_id.apply_required("unit_id", &mut d.unit_id, errors);
        self.roles.apply_required("roles", &mut d.roles, errors);
        self.clearance.apply_required("clearance", &mut d.clearance, errors);
        self.disabled.apply_required("disabled", &mut d.disabled, errors);
        if let Some(hash) = new_hash {
            d.password_hash = hash;
        }
    }
}

/// Whether a login name is well-formed: 3–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn username_ok(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

impl Resource for users::Entity {
    type Draft = UserDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &users::Model) -> ApiResult<UserDraft> {
        Ok(UserDraft {
            username: m.username.clone(),
            display_name: m.display_name.clone(),
            unit_id: m.unit_id,
            roles: parse_words(&m.roles)?,
            clearance: Classification::from_stored(&m.clearance)?,
            disabled: m.disabled,
            password_hash: m.password_hash.clone(),
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut UserDraft, current: Option<&users::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        if current.is_none() {
            d.username = d.username.trim().to_lowercase();
            if !username_ok(&d.username) {
                v.push(FieldError::invalid(
                    "username",
                    text!(
                        en: "Must be 3–64 characters of a–z, 0–9, `.`, `_` and `-`, starting with a letter or digit.",
                        vi: "Phải gồm 3–64 ký tự a–z, 0–9, `.`, `_`, `-` và bắt đầu bằng chữ hoặc số."
                    ),
                ));
            }
        }
        d.display_name = v.text("display_name", &d.display_name, 200);
        d.roles.sort();
        d.roles.dedup();
        if d.roles.is_empty() {
            v.push(FieldError::required("roles"));
        }
        if d.roles.contains(&Role::Integration) {
            v.push(FieldError::invalid(
                "roles",
                text!(
                    en: "`integration` is the role of agency clients; create a client instead.",
                    vi: "`integration` là vai trò của ứng dụng khách; hãy tạo ứng dụng khách."
                ),
            ));
        }
        common::check_reference::<units::Entity, _>(db, &mut v, "unit_id", Some(d.unit_id)).await?;
        if current.is_none() && !v.has_errors() {
            common::serialize_on(db, &format!("users:{}", d.username)).await?;
            let taken = users::Entity::find()
                .filter(users::Column::Username.eq(d.username.clone()))
                .one(db)
                .await?;
            if taken.is_some() {
                v.push(FieldError::new(
                    "username",
                    "taken",
                    text!(en: "This login name is taken.", vi: "Tên đăng nhập này đã được dùng."),
                ));
            }
        }
        v.finish()
    }

    fn columns(d: &UserDraft) -> users::ActiveModel {
        users::ActiveModel {
            username: Set(d.username.clone()),
            display_name: Set(d.display_name.clone()),
            unit_id: Set(d.unit_id),
            roles: Set(d.roles.iter().map(Stored::stored).collect::<Vec<_>>().join(" ")),
            clearance: Set(d.clearance.stored()),
            disabled: Set(d.disabled),
            password_hash: Set(d.password_hash.clone()),
            search_text: Set(search::search_text([d.username.as_str(), d.display_name.as_str()])),
            sort_key: Set(search::sort_key(&d.username)),
            ..Default::default()
        }
    }

    /// Tokens already issued say what the user was; any change ends its sessions.
    async fn after_save<C: ConnectionTrait>(db: &C, id: Uuid, _d: &UserDraft, current: Option<&users::Model>) -> ApiResult<()> {
        if current.is_some() {
            revoke_sessions(db, id).await?;
        }
        Ok(())
    }

    async fn after_delete<C: ConnectionTrait>(db: &C, m: &users::Model) -> ApiResult<()> {
        revoke_sessions(db, m.id).await
    }
}

/// Revokes every refresh token of a user that is still usable.
pub async fn revoke_sessions<C: ConnectionTrait>(db: &C, user: Uuid) -> ApiResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::val(db::now()))
        .filter(refresh_tokens::Column::UserId.eq(user))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn list<C: ConnectionTrait>(db: &C, f: &UserListParams, page: &PageRequest) -> ApiResult<(Vec<User>, Option<String>)> {
    let mut select = live::<users::Entity>();
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(users::Column::SearchText, &terms));
    }
    if let Some(unit_id) = f.unit_id {
        select = select.filter(users::Column::UnitId.eq(unit_id));
    }
    if let Some(role) = f.role {
        // Roles are stored as space-separated words.
        let word = role.stored();
        select = select.filter(
            Condition::any()
                .add(users::Column::Roles.eq(word.clone()))
                .add(users::Column::Roles.like(format!("{word} %")))
                .add(users::Column::Roles.like(format!("% {word}")))
                .add(users::Column::Roles.like(format!("% {word} %"))),
        );
    }
    if let Some(disabled) = f.disabled {
        select = select.filter(users::Column::Disabled.eq(disabled));
    }
    let (rows, next) = fetch_page(db, select, users::Column::Id, f.sort, page).await?;
    let items = rows.into_iter().map(User::from_model).collect::<ApiResult<_>>()?;
    Ok((items, next))
}
