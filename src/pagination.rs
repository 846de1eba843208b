//! Keyset pagination: opaque cursors, allowlisted sort orders, bounded pages and `Link` headers.
//!
//! A page is fetched with `WHERE (key, id) > (last key, last id) ORDER BY key, id LIMIT n + 1`,
//! so a page deep in a list costs what the first page costs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ModelTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select, Value,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::text;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

/// Paging parameters accepted by every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Most items to return (1–500; default 50). A larger value is rejected, not clamped.
    #[param(minimum = 1, maximum = 500, example = 50)]
    pub limit: Option<u64>,
    /// Opaque cursor from the previous page's `next_cursor` (or the `Link` header); valid only
    /// with the same filters and sort.
    #[param(pattern = "^[A-Za-z0-9_-]+$", max_length = 4096)]
    pub cursor: Option<String>,
}

/// The longest cursor the service issues is far shorter; longer ones are not read at all.
const MAX_CURSOR_LEN: usize = 4096;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor for the next page, or `null` on the last page. Also given in the `Link` header.
    pub next_cursor: Option<String>,
}

/// One allowlisted sort order of a list: an optional key column, and its direction. Ties, and
/// lists sorted by creation, fall back to the time-ordered UUID v7 `id`. Key columns are
/// non-null text compared byte by byte on every database (the `sort_key` and `code` columns).
#[derive(Debug, Clone, Copy)]
pub struct SortKey<C> {
    /// The name clients pass in `sort=`, e.g. `-name`.
    pub name: &'static str,
    pub column: Option<C>,
    pub descending: bool,
}

/// A resource's `sort=` parameter: an enumeration of the allowed orders.
pub trait SortOrder: Copy + Default {
    type Column: ColumnTrait;
    fn key(self) -> SortKey<Self::Column>;
}

/// What a list request asked for: page size, decoded cursor, and a fingerprint of the query so a
/// cursor cannot be replayed against other filters.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u64,
    cursor: Option<Cursor>,
    fingerprint: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    /// The sort order the cursor belongs to.
    s: String,
    /// The sort key of the last item, when the order has a key column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<String>,
    /// The id of the last item.
    i: Uuid,
    /// Fingerprint of the path and filters.
    f: String,
}

impl PageRequest {
    /// Builds a page request from raw `limit`/`cursor` and the query's other parameters.
    pub fn new(path: &str, limit: Option<&str>, cursor: Option<&str>, filters: &[(String, String)]) -> ApiResult<Self> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(ApiError::bad_field(FieldError::out_of_range("limit", 1, MAX_LIMIT as i64))),
            },
        };
        let fingerprint = fingerprint(path, filters);
        let cursor = cursor.map(|raw| decode_cursor(raw, &fingerprint)).transpose()?;
        Ok(Self {
            limit,
            cursor,
            fingerprint,
        })
    }
}

fn fingerprint(path: &str, filters: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = filters.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    for (k, v) in sorted {
        hasher.update([0]);
        hasher.update(k.as_bytes());
        hasher.update([1]);
        hasher.update(v.as_bytes());
    }
    let digest = hasher.finalize();
    URL_SAFE_NO_PAD.encode(&digest[..9])
}

fn invalid_cursor() -> ApiError {
    ApiError::bad_field(FieldError::invalid(
        "cursor",
        text!(
            en: "The cursor is not valid for this list, its filters or its sort order; start again without it.",
            vi: "Con trỏ không hợp lệ với danh sách, bộ lọc hoặc thứ tự sắp xếp này; hãy bắt đầu lại mà không dùng con trỏ."
        ),
    ))
}

fn decode_cursor(raw: &str, fingerprint: &str) -> ApiResult<Cursor> {
    if raw.len() > MAX_CURSOR_LEN {
        return Err(invalid_cursor());
    }
    let bytes = URL_SAFE_NO_PAD.decode(raw.as_bytes()).map_err(|_| invalid_cursor())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid_cursor())?;
    if cursor.f != fingerprint {
        return Err(invalid_cursor());
    }
    Ok(cursor)
}

fn encode_cursor(cursor: &Cursor) -> String {
    // Serializing a struct of strings and a UUID cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

/// The sort key a cursor carries; it came from a stored key, so it holds no control characters.
fn key_value(raw: Option<&str>) -> ApiResult<Value> {
    match raw {
        Some(key) if !key.chars().any(char::is_control) => Ok(Value::String(Some(key.to_owned()))),
        _ => Err(invalid_cursor()),
    }
}

/// Fetches one page of `select` in the order `sort`, continuing after the request's cursor.
pub async fn fetch_page<E, S, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    sort: S,
    page: &PageRequest,
) -> ApiResult<(Vec<E::Model>, Option<String>)>
where
    E: EntityTrait,
    S: SortOrder<Column = E::Column>,
    C: ConnectionTrait,
{
    let key = sort.key();
    let order = if key.descending { Order::Desc } else { Order::Asc };
    let mut select = select;
    if let Some(cursor) = &page.cursor {
        if cursor.s != key.name {
            return Err(invalid_cursor());
        }
        let after_id = if key.descending { id.lt(cursor.i) } else { id.gt(cursor.i) };
        let condition = match key.column {
            None => Condition::all().add(after_id),
            Some(column) => {
                let value = key_value(cursor.k.as_deref())?;
                let (bound, after_key) = if key.descending {
                    (column.lte(value.clone()), column.lt(value.clone()))
                } else {
                    (column.gte(value.clone()), column.gt(value.clone()))
                };
                // The bound is implied by the rest; it is there so that an index on the sort key
                // starts at the cursor instead of filtering every row before it.
                Condition::all().add(bound).add(
                    Condition::any()
                        .add(after_key)
                        .add(Condition::all().add(column.eq(value)).add(after_id)),
                )
            }
        };
        select = select.filter(condition);
    }
    if let Some(column) = key.column {
        select = select.order_by(column, order.clone());
    }
    let mut rows = select.order_by(id, order).limit(page.limit + 1).all(db).await?;

    let next = if rows.len() as u64 > page.limit {
        rows.truncate(page.limit as usize);
        // Ids are UUIDs and sort keys non-null text, so every row yields a cursor.
        rows.last().and_then(|last| {
            let Value::Uuid(Some(i)) = last.get(id) else {
                return None;
            };
            let k = match key.column.map(|column| last.get(column)) {
                None => None,
                Some(Value::String(Some(k))) => Some(k),
                Some(_) => return None,
            };
            Some(encode_cursor(&Cursor {
                s: key.name.to_owned(),
                k,
                i,
                f: page.fingerprint.clone(),
            }))
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// Declares a resource's `sort=` enumeration: the first order listed is the default (its
/// reverse when the declaration starts with `reversed`); each order names its key column (`None`
/// sorts by creation, through the time-ordered id). Its OpenAPI schema lists the same names the
/// parser takes.
#[macro_export]
macro_rules! sort_order {
    (
        $(#[$meta:meta])* $name:ident for $column:ty {
            $first:ident = $first_key:literal, $first_desc:ident = $first_desc_key:literal => $first_col:expr
            $(, $asc:ident = $asc_key:literal, $desc:ident = $desc_key:literal => $col:expr)* $(,)?
        }
    ) => {
        $crate::sort_order!(@emit [$first, $first_key] $(#[$meta])* $name for $column {
            $first = $first_key, $first_desc = $first_desc_key => $first_col
            $(, $asc = $asc_key, $desc = $desc_key => $col)*
        });
    };
    (
        reversed $(#[$meta:meta])* $name:ident for $column:ty {
            $first:ident = $first_key:literal, $first_desc:ident = $first_desc_key:literal => $first_col:expr
            $(, $asc:ident = $asc_key:literal, $desc:ident = $desc_key:literal => $col:expr)* $(,)?
        }
    ) => {
        $crate::sort_order!(@emit [$first_desc, $first_desc_key] $(#[$meta])* $name for $column {
            $first = $first_key, $first_desc = $first_desc_key => $first_col
            $(, $asc = $asc_key, $desc = $desc_key => $col)*
        });
    };
    (
        @emit [$default:ident, $default_key:literal] $(#[$meta:meta])* $name:ident for $column:ty {
            $first:ident = $first_key:literal, $first_desc:ident = $first_desc_key:literal => $first_col:expr
            $(, $asc:ident = $asc_key:literal, $desc:ident = $desc_key:literal => $col:expr)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
        pub enum $name {
            #[serde(rename = $first_key)]
            $first,
            #[serde(rename = $first_desc_key)]
            $first_desc,
            $(
                #[serde(rename = $asc_key)]
                $asc,
                #[serde(rename = $desc_key)]
                $desc,
            )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl $crate::pagination::SortOrder for $name {
            type Column = $column;

            fn key(self) -> $crate::pagination::SortKey<$column> {
                use $crate::pagination::SortKey;
                match self {
                    $name::$first => SortKey { name: $first_key, column: $first_col, descending: false },
                    $name::$first_desc => SortKey { name: $first_desc_key, column: $first_col, descending: true },
                    $(
                        $name::$asc => SortKey { name: $asc_key, column: $col, descending: false },
                        $name::$desc => SortKey { name: $desc_key, column: $col, descending: true },
                    )*
                }
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::pagination::sort_schema(&[$first_key, $first_desc_key $(, $asc_key, $desc_key)*], $default_key)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// The schema of a `sort=` parameter: one of `names`, `default` when not given.
pub fn sort_schema(names: &[&str], default: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names.iter().copied()))
        .default(Some(serde_json::json!(default)))
        .description(Some("The order of the list; `-` reverses it. Ties are broken by creation order."))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn limit_is_bounded_not_clamped() {
        let cases = [
            ("0", false),
            ("1", true),
            ("500", true),
            ("501", false),
            ("-1", false),
            ("ten", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(PageRequest::new("/x", Some(raw), None, &[]).is_ok(), ok, "limit={raw}");
        }
        assert_eq!(PageRequest::new("/x", None, None, &[]).map(|p| p.limit).ok(), Some(DEFAULT_LIMIT));
    }

    #[test]
    fn cursor_is_bound_to_its_query() {
        let filters = pairs(&[("q", "gia lam"), ("sort", "name")]);
        let page = PageRequest::new("/api/v1/units", None, None, &filters).expect("valid");
        let raw = encode_cursor(&Cursor {
            s: "name".into(),
            k: Some("gia lam".into()),
            i: Uuid::nil(),
            f: page.fingerprint.clone(),
        });

        let same = PageRequest::new("/api/v1/units", None, Some(&raw), &pairs(&[("sort", "name"), ("q", "gia lam")]));
        assert!(same.is_ok(), "parameter order does not matter");
        let other_filter = PageRequest::new("/api/v1/units", None, Some(&raw), &pairs(&[("q", "dong anh"), ("sort", "name")]));
        assert!(other_filter.is_err(), "a cursor does not carry over to other filters");
        let other_path = PageRequest::new("/api/v1/areas", None, Some(&raw), &filters);
        assert!(other_path.is_err(), "a cursor does not carry over to another list");
    }

    #[test]
    fn garbage_cursors_are_rejected() {
        for raw in ["", "!!!", "e30", "bm90IGpzb24"] {
            assert!(PageRequest::new("/x", None, Some(raw), &[]).is_err(), "cursor {raw:?}");
        }
    }
}
