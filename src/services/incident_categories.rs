//! The incident taxonomy: validation, and the default categories every deployment starts with.

use entity::{app_meta, incident_categories};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::common::{self, Resource, live};
use crate::audit::AuditContext;
use crate::db;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::incident_categories::{CreateIncidentCategoryRequest, IncidentCategoryListParams, UpdateIncidentCategoryRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::incident_categories::IncidentCategory;

/// The writable state of a category.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryDraft {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
}

impl From<CreateIncidentCategoryRequest> for CategoryDraft {
    fn from(r: CreateIncidentCategoryRequest) -> Self {
        Self {
            code: r.code,
            name: r.name,
            description: r.description,
            active: r.active.unwrap_or(true),
        }
    }
}

impl UpdateIncidentCategoryRequest {
    pub fn apply(self, d: &mut CategoryDraft, errors: &mut Vec<FieldError>) {
        self.name.apply_required("name", &mut d.name, errors);
        self.description.apply_to(&mut d.description);
        self.active.apply_required("active", &mut d.active, errors);
    }
}

/// Whether a code is well-formed: 2–64 of `a-z 0-9 _`, starting with a letter.
fn code_ok(code: &str) -> bool {
    (2..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && code.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

impl Resource for incident_categories::Entity {
    type Draft = CategoryDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &incident_categories::Model) -> ApiResult<CategoryDraft> {
        Ok(CategoryDraft {
            code: m.code.clone(),
            name: m.name.clone(),
            description: m.description.clone(),
            active: m.active,
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut CategoryDraft, current: Option<&incident_categories::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        d.name = v.text("name", &d.name, 200);
        d.description = v.opt_text("description", d.description.as_deref(), 2000);
        if current.is_some() {
            return v.finish();
        }
        d.code = d.code.trim().to_owned();
        if !code_ok(&d.code) {
            v.push(FieldError::invalid(
                "code",
                text!(
                    en: "Must be 2–64 characters of a–z, 0–9 and `_`, starting with a letter.",
                    vi: "Phải gồm 2–64 ký tự a–z, 0–9, `_` và bắt đầu bằng chữ cái."
                ),
            ));
        }
        v.finish()?;
        common::serialize_on(db, &format!("incident_categories:{}", d.code)).await?;
        let taken = live::<incident_categories::Entity>()
            .filter(incident_categories::Column::Code.eq(d.code.clone()))
            .count(db)
            .await?;
        if taken > 0 {
            let code = d.code.clone();
            return Err(ApiError::conflict_on(
                "code",
                text!(en: "A category with the code {code} already exists.", vi: "Đã có loại vụ việc mã {code}."),
            ));
        }
        Ok(())
    }

    fn columns(d: &CategoryDraft) -> incident_categories::ActiveModel {
        let mut searchable = vec![d.code.as_str(), d.name.as_str()];
        searchable.extend(d.description.as_deref());
        incident_categories::ActiveModel {
            code: Set(d.code.clone()),
            name: Set(d.name.clone()),
            description: Set(d.description.clone()),
            active: Set(d.active),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(search::sort_key(&d.name)),
            ..Default::default()
        }
    }
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: &IncidentCategoryListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<IncidentCategory>, Option<String>)> {
    let mut select = live::<incident_categories::Entity>();
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(incident_categories::Column::SearchText, &terms));
    }
    if let Some(active) = f.active {
        select = select.filter(incident_categories::Column::Active.eq(active));
    }
    if let Some(code) = &f.code {
        select = select.filter(incident_categories::Column::Code.eq(code.clone()));
    }
    let (rows, next) = fetch_page(db, select, incident_categories::Column::Id, f.sort, page).await?;
    Ok((rows.into_iter().map(IncidentCategory::from_model).collect(), next))
}

/// The `app_meta` key recording that the default taxonomy was written.
const DEFAULTS_MARKER: &str = "incident_categories_defaults";

/// The default taxonomy: `(code, name, description)`.
const DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "public_order",
        "Trật tự công cộng",
        "Gây rối trật tự công cộng, tụ tập đông người, đánh nhau.",
    ),
    ("drugs", "Ma túy", "Tội phạm và vi phạm pháp luật về ma túy."),
    (
        "theft_property",
        "Trộm cắp, xâm phạm tài sản",
        "Trộm cắp, cướp giật, lừa đảo chiếm đoạt tài sản.",
    ),
    ("traffic", "Giao thông", "Tai nạn và vi phạm trật tự an toàn giao thông."),
    ("fire_explosion", "Cháy, nổ", "Cháy, nổ và sự cố về phòng cháy, chữa cháy."),
    (
        "disaster_rescue",
        "Thiên tai, cứu nạn, cứu hộ",
        "Bão lũ, sạt lở và các vụ việc cần cứu nạn, cứu hộ.",
    ),
    ("environment", "Môi trường", "Vi phạm pháp luật về bảo vệ môi trường."),
    (
        "cyber",
        "An ninh mạng",
        "Tội phạm sử dụng công nghệ cao và vi phạm trên không gian mạng.",
    ),
    (
        "smuggling_border",
        "Buôn lậu, biên giới",
        "Buôn lậu, gian lận thương mại, vi phạm quy chế biên giới.",
    ),
    ("other", "Khác", "Vụ việc không thuộc các loại trên."),
];

/// Writes the default taxonomy once in the life of a database, so a deployment starts with it;
/// categories an administrator later deletes stay deleted. Safe when several nodes start at once.
pub async fn ensure_defaults(db: &DatabaseConnection) -> ApiResult<bool> {
    let txn = common::begin_write(db).await?;
    common::serialize_on(&txn, DEFAULTS_MARKER).await?;
    if app_meta::Entity::find_by_id(DEFAULTS_MARKER.to_owned()).one(&txn).await?.is_some() {
        return Ok(false);
    }
    let marker = app_meta::ActiveModel {
        key: Set(DEFAULTS_MARKER.to_owned()),
        value: Set("written".to_owned()),
        updated_at: Set(db::now()),
    };
    app_meta::Entity::insert(marker).exec_without_returning(&txn).await?;
    let system = AuditContext::system();
    for (code, name, description) in DEFAULTS {
        let draft = CategoryDraft {
            code: (*code).to_owned(),
            name: (*name).to_owned(),
            description: Some((*description).to_owned()),
            active: true,
        };
        common::create::<incident_categories::Entity, _>(&txn, &system, draft).await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// The number of default categories.
pub fn default_count() -> usize {
    DEFAULTS.len()
}
