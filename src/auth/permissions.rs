//! The permission table: for every operation of the API, who may call it. The request middleware
//! consults it before any handler runs; an operation without a row is refused to everyone, and a
//! test fails when the table and the OpenAPI document disagree.
//!
//! A user may call a scoped operation when one of its roles is listed; an agency client (role
//! `integration`) when it was granted the scope. A user's token carries the scopes its roles have
//! here, so the table is also where those come from. What the caller may *see* (its clusters, its
//! clearance) is decided by the services; this table decides what it may *do*.

use crate::domain::{Role, Scope};
use crate::error::{ApiError, ApiResult};
use crate::text;

use super::{Principal, PrincipalKind};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// Any valid token.
    Authenticated,
    /// A token with this scope: users with one of the listed roles, clients granted the scope.
    Scoped(Scope, &'static [Role]),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    /// The OpenAPI `operationId`.
    pub operation: &'static str,
    pub access: Access,
}

use Role::{Admin, Analyst, Auditor, Coordinator, Officer};

const EVERYONE: &[Role] = &[Admin, Coordinator, Officer, Analyst, Auditor];
const CLUSTER_READERS: &[Role] = &[Admin, Coordinator, Officer, Analyst];
const CLUSTER_MANAGERS: &[Role] = &[Admin, Coordinator];
const RECORDERS: &[Role] = &[Admin, Coordinator, Officer];
const ADMINS: &[Role] = &[Admin];
const AUDITORS: &[Role] = &[Admin, Auditor];

const fn row(operation: &'static str, access: Access) -> Permission {
    Permission { operation, access }
}

const fn scoped(operation: &'static str, scope: Scope, roles: &'static [Role]) -> Permission {
    row(operation, Access::Scoped(scope, roles))
}

/// The table.
pub const PERMISSIONS: &[Permission] = &[
    row("live", Access::Public),
    row("ready", Access::Public),
    scoped("get_metrics", Scope::OperationsRead, ADMINS),
    row("get_jwks", Access::Public),
    row("issue_token", Access::Public),
    row("revoke_token", Access::Public),
    row("get_me", Access::Authenticated),
    // Reference data: everyone reads, administrators write.
    scoped("list_areas", Scope::ReferenceRead, EVERYONE),
    scoped("get_area", Scope::ReferenceRead, EVERYONE),
    scoped("create_area", Scope::ReferenceWrite, ADMINS),
    scoped("update_area", Scope::ReferenceWrite, ADMINS),
    scoped("delete_area", Scope::ReferenceWrite, ADMINS),
    scoped("list_units", Scope::ReferenceRead, EVERYONE),
    scoped("get_unit", Scope::ReferenceRead, EVERYONE),
    scoped("list_unit_children", Scope::ReferenceRead, EVERYONE),
    scoped("create_unit", Scope::ReferenceWrite, ADMINS),
    scoped("update_unit", Scope::ReferenceWrite, ADMINS),
    scoped("delete_unit", Scope::ReferenceWrite, ADMINS),
    scoped("list_legal_documents", Scope::ReferenceRead, EVERYONE),
    scoped("get_legal_document", Scope::ReferenceRead, EVERYONE),
    scoped("create_legal_document", Scope::ReferenceWrite, ADMINS),
    scoped("update_legal_document", Scope::ReferenceWrite, ADMINS),
    scoped("delete_legal_document", Scope::ReferenceWrite, ADMINS),
    scoped("list_incident_categories", Scope::ReferenceRead, EVERYONE),
    scoped("get_incident_category", Scope::ReferenceRead, EVERYONE),
    scoped("create_incident_category", Scope::ReferenceWrite, ADMINS),
    scoped("update_incident_category", Scope::ReferenceWrite, ADMINS),
    scoped("delete_incident_category", Scope::ReferenceWrite, ADMINS),
    // Clusters and what belongs to them: members read, coordinators of member units manage.
    scoped("list_clusters", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_cluster", Scope::ClustersRead, CLUSTER_READERS),
    scoped("create_cluster", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("update_cluster", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("delete_cluster", Scope::ClustersWrite, ADMINS),
    scoped("list_members", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_member", Scope::ClustersRead, CLUSTER_READERS),
    scoped("create_member", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("update_member", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("delete_member", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("list_regulations", Scope::ClustersRead, CLUSTER_READERS),
    scoped("list_cluster_regulations", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_regulation", Scope::ClustersRead, CLUSTER_READERS),
    scoped("create_regulation", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("update_regulation", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("delete_regulation", Scope::ClustersWrite, CLUSTER_MANAGERS),
    // The clusters' daily work: members read; officers record their unit's, coordinators any.
    scoped("list_incidents", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_incident", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_incident_timeline", Scope::ClustersRead, CLUSTER_READERS),
    scoped("create_incident", Scope::RecordsWrite, RECORDERS),
    scoped("update_incident", Scope::RecordsWrite, RECORDERS),
    scoped("transition_incident", Scope::RecordsWrite, RECORDERS),
    scoped("delete_incident", Scope::RecordsWrite, CLUSTER_MANAGERS),
    scoped("list_bulletins", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_bulletin", Scope::ClustersRead, CLUSTER_READERS),
    scoped("create_bulletin", Scope::RecordsWrite, RECORDERS),
    scoped("acknowledge_bulletin", Scope::RecordsWrite, RECORDERS),
    scoped("delete_bulletin", Scope::RecordsWrite, RECORDERS),
    scoped("list_activities", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_activity", Scope::ClustersRead, CLUSTER_READERS),
    scoped("create_activity", Scope::RecordsWrite, RECORDERS),
    scoped("update_activity", Scope::RecordsWrite, RECORDERS),
    scoped("delete_activity", Scope::RecordsWrite, RECORDERS),
    // Meetings are the coordinators' to record; the owner of an action item reports on it.
    scoped("list_meetings", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_meeting", Scope::ClustersRead, CLUSTER_READERS),
    scoped("create_meeting", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("update_meeting", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("delete_meeting", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("create_action_item", Scope::ClustersWrite, CLUSTER_MANAGERS),
    scoped("list_action_items", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_action_item", Scope::ClustersRead, CLUSTER_READERS),
    scoped("update_action_item", Scope::RecordsWrite, RECORDERS),
    scoped("get_cluster_statistics", Scope::ClustersRead, CLUSTER_READERS),
    scoped("get_unit_statistics", Scope::ClustersRead, CLUSTER_READERS),
    // Community models are public knowledge: everyone reads; the sponsoring unit records them.
    scoped("list_community_models", Scope::ReferenceRead, EVERYONE),
    scoped("get_community_model", Scope::ReferenceRead, EVERYONE),
    scoped("create_community_model", Scope::RecordsWrite, RECORDERS),
    scoped("update_community_model", Scope::RecordsWrite, RECORDERS),
    scoped("delete_community_model", Scope::RecordsWrite, RECORDERS),
    // Principals: administrators only; no agency client can be granted this scope.
    scoped("list_users", Scope::PrincipalsManage, ADMINS),
    scoped("get_user", Scope::PrincipalsManage, ADMINS),
    scoped("create_user", Scope::PrincipalsManage, ADMINS),
    scoped("update_user", Scope::PrincipalsManage, ADMINS),
    scoped("delete_user", Scope::PrincipalsManage, ADMINS),
    scoped("list_clients", Scope::PrincipalsManage, ADMINS),
    scoped("get_client", Scope::PrincipalsManage, ADMINS),
    scoped("create_client", Scope::PrincipalsManage, ADMINS),
    scoped("update_client", Scope::PrincipalsManage, ADMINS),
    scoped("delete_client", Scope::PrincipalsManage, ADMINS),
    scoped("rotate_client_secret", Scope::PrincipalsManage, ADMINS),
    // The audit trail.
    scoped("list_audit_events", Scope::AuditRead, AUDITORS),
    scoped("get_audit_event", Scope::AuditRead, AUDITORS),
];

/// The scopes an agency client may be granted. Not the audit trail: it spans every cluster,
/// while a client is confined to the clusters it was granted.
pub const CLIENT_SCOPES: &[Scope] = &[
    Scope::ReferenceRead,
    Scope::ReferenceWrite,
    Scope::ClustersRead,
    Scope::ClustersWrite,
    Scope::RecordsWrite,
    Scope::OperationsRead,
];

/// The row of an operation.
pub fn lookup(operation: &str) -> Option<&'static Permission> {
    PERMISSIONS.iter().find(|p| p.operation == operation)
}

/// The scopes a user with these roles holds: every scope some operation grants to one of them.
pub fn scopes_for_roles(roles: &[Role]) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = PERMISSIONS
        .iter()
        .filter_map(|p| match p.access {
            Access::Scoped(scope, allowed) if allowed.iter().any(|r| roles.contains(r)) => Some(scope),
            _ => None,
        })
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// Whether `principal` may call the operation of `permission`.
pub fn allows(permission: &Permission, principal: &Principal) -> bool {
    match permission.access {
        Access::Public | Access::Authenticated => true,
        Access::Scoped(scope, roles) => {
            let role_ok = match principal.kind {
                PrincipalKind::User => principal.roles.iter().any(|r| roles.contains(r)),
                PrincipalKind::Client => true,
            };
            role_ok && principal.scopes.contains(&scope)
        }
    }
}

/// Refuses the call with 403 when the table does not allow it.
pub fn authorize(permission: &Permission, principal: &Principal) -> ApiResult<()> {
    if allows(permission, principal) {
        return Ok(());
    }
    let needed = match permission.access {
        Access::Scoped(scope, roles) => {
            let roles: Vec<&str> = roles.iter().map(AsRef::as_ref).collect();
            format!("{} (roles: {})", scope.as_ref(), roles.join(", "))
        }
        _ => String::new(),
    };
    Err(ApiError::forbidden(text!(
        en: "Your role does not allow this action; it needs the scope {needed}.",
        vi: "Vai trò của bạn không được phép thực hiện thao tác này; cần quyền {needed}."
    )))
}

/// A line for the operation's description in the OpenAPI document.
pub fn describe(permission: &Permission) -> String {
    match permission.access {
        Access::Public => "**Access:** public, no token needed.".to_owned(),
        Access::Authenticated => "**Access:** any valid access token.".to_owned(),
        Access::Scoped(scope, roles) => {
            let roles: Vec<String> = roles.iter().map(|r| format!("`{}`", r.as_ref())).collect();
            format!(
                "**Access:** scope `{}`: roles {}, or an agency client granted the scope.",
                scope.as_ref(),
                roles.join(", ")
            )
        }
    }
}

/// The table as a Markdown table, for the README.
pub fn markdown() -> String {
    let roles = [Admin, Coordinator, Officer, Analyst, Auditor];
    let mut out = String::from("| operation | scope |");
    for role in roles {
        out.push_str(&format!(" {} |", role.as_ref()));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(roles.len()));
    out.push('\n');
    for p in PERMISSIONS {
        let (scope, allowed): (String, Vec<Role>) = match p.access {
            Access::Public => ("public".to_owned(), roles.to_vec()),
            Access::Authenticated => ("any token".to_owned(), roles.to_vec()),
            Access::Scoped(scope, allowed) => (format!("`{}`", scope.as_ref()), allowed.to_vec()),
        };
        out.push_str(&format!("| `{}` | {scope} |", p.operation));
        for role in roles {
            out.push_str(if allowed.contains(&role) { " ✓ |" } else { " |" });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_document_has_exactly_one_row() {
        let api = crate::startup::openapi_document();
        let mut documented = Vec::new();
        for item in api.paths.paths.values() {
            for op in [&item.get, &item.post, &item.put, &item.patch, &item.delete].into_iter().flatten() {
                documented.push(op.operation_id.clone().unwrap_or_default());
            }
        }
        for operation in &documented {
            assert!(lookup(operation).is_some(), "no permission row for {operation}");
        }
        for p in PERMISSIONS {
            assert_eq!(
                PERMISSIONS.iter().filter(|q| q.operation == p.operation).count(),
                1,
                "{} twice",
                p.operation
            );
            assert!(
                documented.iter().any(|d| d == p.operation),
                "row for unknown operation {}",
                p.operation
            );
        }
    }

    #[test]
    fn the_readme_shows_this_table() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let table = markdown();
        assert!(
            readme.contains(&table),
            "README.md must contain the permission table as generated:\n\n{table}"
        );
    }

    #[test]
    fn no_client_scope_manages_principals() {
        assert!(!CLIENT_SCOPES.contains(&Scope::PrincipalsManage));
        assert_eq!(scopes_for_roles(&[Role::Auditor]), vec![Scope::ReferenceRead, Scope::AuditRead]);
    }
}
