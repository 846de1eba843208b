//! Agency clients: their scopes, the clusters they are granted, and their secrets.

use entity::{client_clusters, clients, clusters, units};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::common::{self, Resource, live};
use crate::auth::passwords::{random_secret, secret_digest};
use crate::auth::permissions::CLIENT_SCOPES;
use crate::domain::{Classification, Scope, Stored};
use crate::error::{ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::clients::{ClientListParams, CreateClientRequest, UpdateClientRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::principals::{Client, parse_words};

/// Most clusters one client may be granted.
const MAX_CLUSTERS: usize = 500;

/// The writable state of a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientDraft {
    pub name: String,
    pub unit_id: Uuid,
    pub scopes: Vec<Scope>,
    pub cluster_ids: Vec<Uuid>,
    pub clearance: Classification,
    pub disabled: bool,
    pub secret_hash: String,
}

/// A new random client secret and its stored digest.
pub fn new_secret() -> ApiResult<(String, String)> {
    let secret = format!("lks_{}", random_secret(32)?);
    let digest = secret_digest(&secret);
    Ok((secret, digest))
}

impl ClientDraft {
    pub fn new(r: CreateClientRequest, secret_hash: String) -> Self {
        Self {
            name: r.name,
            unit_id: r.unit_id,
            scopes: r.scopes,
            cluster_ids: r.cluster_ids,
            clearance: r.clearance.unwrap_or(Classification::Internal),
            disabled: false,
            secret_hash,
        }
    }
}

impl UpdateClientRequest {
    pub fn apply(self, d: &mut ClientDraft, errors: &mut Vec<FieldError>) {
        self.name.apply_required("name", &mut d.name, errors);
        self.unit_id.apply_required("unit_id", &mut d.unit_id, errors);
        self.scopes.apply_required("scopes", &mut d.scopes, errors);
        self.cluster_ids.apply_required("cluster_ids", &mut d.cluster_ids, errors);
        self.clearance.apply_required("clearance", &mut d.clearance, errors);
        self.disabled.apply_required("disabled", &mut d.disabled, errors);
    }
}

/// The clusters a client is granted.
pub async fn granted<C: ConnectionTrait>(db: &C, client: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(client_clusters::Entity::find()
        .filter(client_clusters::Column::ClientId.eq(client))
        .order_by_asc(client_clusters::Column::ClusterId)
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.cluster_id)
        .collect())
}

pub async fn view<C: ConnectionTrait>(db: &C, m: clients::Model) -> ApiResult<Client> {
    let clusters = granted(db, m.id).await?;
    Client::from_model(m, clusters)
}

impl Resource for clients::Entity {
    type Draft = ClientDraft;

    async fn draft<C: ConnectionTrait>(db: &C, m: &clients::Model) -> ApiResult<ClientDraft> {
        Ok(ClientDraft {
            name: m.name.clone(),
            unit_id: m.unit_id,
            scopes: parse_words(&m.scopes)?,
            cluster_ids: granted(db, m.id).await?,
            clearance: Classification::from_stored(&m.clearance)?,
            disabled: m.disabled,
            secret_hash: m.secret_hash.clone(),
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut ClientDraft, _current: Option<&clients::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        d.name = v.text("name", &d.name, 200);
        d.scopes.sort();
        d.scopes.dedup();
        if d.scopes.is_empty() {
            v.push(FieldError::required("scopes"));
        }
        if let Some(scope) = d.scopes.iter().find(|s| !CLIENT_SCOPES.contains(s)) {
            let scope = scope.stored();
            v.push(FieldError::invalid(
                "scopes",
                text!(en: "Agency clients cannot be granted `{scope}`.", vi: "Không thể cấp quyền `{scope}` cho ứng dụng khách."),
            ));
        }
        d.cluster_ids.sort();
        d.cluster_ids.dedup();
        if v.max_items("cluster_ids", d.cluster_ids.len(), MAX_CLUSTERS) {
            let found = common::live_ids::<clusters::Entity, _>(db, d.cluster_ids.iter().copied()).await?;
            for (i, id) in d.cluster_ids.iter().enumerate() {
                if !found.contains(id) {
                    v.push(FieldError::unknown_reference(
                        format!("cluster_ids[{i}]"),
                        <clusters::Entity as common::Record>::NOUN,
                    ));
                }
            }
        }
        common::check_reference::<units::Entity, _>(db, &mut v, "unit_id", Some(d.unit_id)).await?;
        v.finish()
    }

    fn columns(d: &ClientDraft) -> clients::ActiveModel {
        clients::ActiveModel {
            name: Set(d.name.clone()),
            unit_id: Set(d.unit_id),
            scopes: Set(d.scopes.iter().map(Stored::stored).collect::<Vec<_>>().join(" ")),
            clearance: Set(d.clearance.stored()),
            disabled: Set(d.disabled),
            secret_hash: Set(d.secret_hash.clone()),
            search_text: Set(search::search_text([d.name.as_str()])),
            sort_key: Set(search::sort_key(&d.name)),
            ..Default::default()
        }
    }

    async fn after_save<C: ConnectionTrait>(db: &C, id: Uuid, d: &ClientDraft, _current: Option<&clients::Model>) -> ApiResult<()> {
        client_clusters::Entity::delete_many()
            .filter(client_clusters::Column::ClientId.eq(id))
            .exec(db)
            .await?;
        if d.cluster_ids.is_empty() {
            return Ok(());
        }
        let rows = d.cluster_ids.iter().map(|cluster| client_clusters::ActiveModel {
            client_id: Set(id),
            cluster_id: Set(*cluster),
        });
        client_clusters::Entity::insert_many(rows).exec_without_returning(db).await?;
        Ok(())
    }
}

pub async fn list<C: ConnectionTrait>(db: &C, f: &ClientListParams, page: &PageRequest) -> ApiResult<(Vec<Client>, Option<String>)> {
    let mut select = live::<clients::Entity>();
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(clients::Column::SearchText, &terms));
    }
    if let Some(unit_id) = f.unit_id {
        select = select.filter(clients::Column::UnitId.eq(unit_id));
    }
    let (rows, next) = fetch_page(db, select, clients::Column::Id, f.sort, page).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(view(db, row).await?);
    }
    Ok((items, next))
}
