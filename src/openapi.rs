//! The OpenAPI 3.1 document: the parts written by hand (information, tags, shared components) and
//! the conventions every operation follows, added from one place after the routes are collected.

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayItems, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{Components, Content, HeaderBuilder, Ref, RefOr, Required, Response, ResponseBuilder};

use crate::error::{PROBLEM_JSON, Problem, ProblemFieldError};

/// The hand-written part of the document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Liên Kết API",
        description = "The system of record for cross-border coordination between Vietnamese police, \
military commands and border guards: liaison clusters, the regulations they sign, and the units \
and areas they cover.\n\n\
Conventions: errors are `application/problem+json` (RFC 9457) with a stable `code` and per-field \
`errors`; send `Accept-Language: vi` for Vietnamese texts. Lists take `limit` (1–500) and an \
opaque `cursor`, and answer `{\"items\": [...], \"next_cursor\": ...}` with a `Link: rel=\"next\"` \
header. `q` searches ignore case and Vietnamese diacritics. Single resources carry an `ETag` from \
their `version` and a digest of the representation; `If-None-Match` gives 304 and `If-Match` (the tag, or just `\"<version>\"`) guards writes (412 on mismatch). PATCH \
takes a JSON Merge Patch. POST honours `Idempotency-Key`. DELETE is a soft delete. Dates are \
`YYYY-MM-DD`; validity periods are half-open (`valid_to`, `left_on` and `effective_to` are the \
first day no longer covered).",
        license(name = "MIT"),
    ),
    tags(
        (name = "areas", description = "Administrative areas with their official GSO codes."),
        (name = "units", description = "Agency units: police, military, border guard and others."),
        (name = "legal-documents", description = "Laws, decrees and decisions that coordination rests on."),
        (name = "incident-categories", description = "The incident taxonomy that incidents are classified by."),
        (name = "clusters", description = "Coordination relationships of two or more units, and their members."),
        (name = "regulations", description = "The coordination regulations clusters sign."),
        (name = "incidents", description = "Incidents member units report to their clusters, with their workflow and timeline."),
        (name = "activities", description = "Joint patrols, drills, event security, training, outreach and crackdown campaigns, with who took part and the outcome figures credited to each unit."),
        (name = "meetings", description = "Briefings, interim and annual reviews and signing ceremonies, the figures they reported, and their action items."),
        (name = "statistics", description = "Counts, sums, percentiles and year-on-year changes of a cluster's or a unit's records over a period."),
        (name = "community-models", description = "Mass-participation security models units sponsor in their areas."),
        (name = "bulletins", description = "Information units send within their clusters, and each recipient's acknowledgement."),
        (name = "auth", description = "Tokens (OAuth 2.0), the token verification keys, and the caller's identity."),
        (name = "principals", description = "Users and agency clients. Administrators only."),
        (name = "audit", description = "The append-only, hash-chained audit trail."),
        (name = "operations", description = "Health checks for orchestrators and load balancers."),
    ),
    // `ComparisonBasis` appears only among query parameters, which do not register their schemas.
    components(schemas(Problem, ProblemFieldError, crate::domain::ComparisonBasis)),
)]
pub struct ApiDoc;

/// Where the API's resources live.
pub const API_ROOT: &str = "/api/v1";
const API_PREFIX: &str = "/api/v1/";
/// The OAuth endpoints follow RFC 6749 rather than the resource conventions.
const AUTH_PREFIX: &str = "/api/v1/auth/";
/// Where tokens are issued.
pub const TOKEN_URL: &str = "/api/v1/auth/token";

/// Declares the security schemes and, on every operation, what it needs: the scheme
/// requirements, a line naming the roles and scope, and the 401/403 answers.
fn add_security(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{
        ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityRequirement, SecurityScheme,
    };

    use crate::auth::permissions::{self, Access};
    use crate::domain::Scope;

    let scopes = || {
        Scopes::from_iter(<Scope as strum::IntoEnumIterator>::iter().map(|s| {
            let description = match s {
                Scope::ReferenceRead => "Read areas, units and legal documents.",
                Scope::ReferenceWrite => "Change areas, units and legal documents.",
                Scope::ClustersRead => "Read the clusters you belong to and their records: members, regulations, incidents, bulletins.",
                Scope::ClustersWrite => "Manage the clusters you belong to.",
                Scope::RecordsWrite => {
                    "Record your unit's work in its clusters: incidents and their workflow, bulletins and acknowledgements."
                }
                Scope::AuditRead => "Read the audit trail.",
                Scope::OperationsRead => "Read the service's metrics (for monitoring systems).",
                Scope::PrincipalsManage => "Manage users and agency clients (administrators only).",
            };
            (s.as_ref().to_owned(), description.to_owned())
        }))
    };
    let components = api.components.get_or_insert_with(Components::new);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An access token from `POST /api/v1/auth/token`."))
                .build(),
        ),
    );
    components.add_security_scheme(
        "password",
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::Password(Password::with_refresh_url(TOKEN_URL, scopes(), TOKEN_URL))],
            "People: log in with a user name and password (leave the client fields empty).",
        )),
    );
    components.add_security_scheme(
        "client_credentials",
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::ClientCredentials(ClientCredentials::new(TOKEN_URL, scopes()))],
            "Agency systems: the client id and secret an administrator registered.",
        )),
    );
    let unauthorized = ("401", "Missing or invalid access token; see `WWW-Authenticate`.");
    let forbidden = ("403", "The caller's role or scopes do not allow this operation.");
    let components = api.components.get_or_insert_with(Components::new);
    for (status, description) in [unauthorized, forbidden] {
        components
            .responses
            .insert(status.to_owned(), RefOr::T(problem_response(description)));
    }
    for item in api.paths.paths.values_mut() {
        for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
            .into_iter()
            .flatten()
        {
            let Some(permission) = op.operation_id.as_deref().and_then(permissions::lookup) else {
                continue;
            };
            let line = permissions::describe(permission);
            op.description = Some(match op.description.take() {
                Some(text) if !text.is_empty() => format!("{text}\n\n{line}"),
                _ => line,
            });
            let scope = match permission.access {
                Access::Public => continue,
                Access::Authenticated => Vec::new(),
                Access::Scoped(scope, _) => vec![scope.as_ref().to_owned()],
            };
            op.security = Some(vec![
                SecurityRequirement::new("bearer", Vec::<String>::new()),
                SecurityRequirement::new("password", scope.clone()),
                SecurityRequirement::new("client_credentials", scope),
            ]);
            add_problems(op, &["401"]);
            if matches!(permission.access, Access::Scoped(..)) {
                add_problems(op, &["403"]);
            }
        }
    }
}

/// Adds what the conventions make true of every operation: its error answers, the conditional
/// and idempotency headers it honours, and the headers it sends.
pub fn add_conventions(api: &mut utoipa::openapi::OpenApi) {
    let components = api.components.get_or_insert_with(Components::new);
    for (name, description) in PROBLEMS {
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(problem_response(description)));
    }
    for (name, description) in RESPONSE_HEADERS {
        let header = HeaderBuilder::new()
            .schema(Some(Object::with_type(Type::String)))
            .description(Some(*description))
            .build();
        components.headers.insert((*name).to_owned(), RefOr::T(header));
    }
    for (name, parameter) in request_headers() {
        components.parameters.insert(name.to_owned(), RefOr::T(parameter));
    }

    add_security(api);
    add_text_rules(api);
    for (path, item) in api.paths.paths.iter_mut() {
        if !path.starts_with(API_PREFIX) {
            continue;
        }
        if path.starts_with(AUTH_PREFIX) {
            // RFC 6749 shapes: no idempotency keys, no entity tags.
            if let Some(op) = item.post.as_mut() {
                add_problems(op, &["500", "503"]);
            }
            continue;
        }
        let single = path.ends_with('}');
        let nested = path.contains('{');
        if let Some(op) = item.get.as_mut() {
            common(op, nested);
            if single {
                add_parameter(op, "If-None-Match");
                add_headers(op, "200", &["ETag"]);
                op.responses.responses.insert(
                    "304".to_owned(),
                    RefOr::T(Response::new("Not modified: the `If-None-Match` tag is current.")),
                );
            } else {
                add_headers(op, "200", &["Link"]);
            }
        }
        if let Some(op) = item.post.as_mut() {
            common(op, nested);
            add_parameter(op, "Idempotency-Key");
            add_headers(op, "201", &["Location", "ETag"]);
            op.responses.responses.entry("303".to_owned()).or_insert_with(|| {
                RefOr::T(Response::new(
                    "A retry with the `Idempotency-Key` of a request that was carried out but whose answer was lost (the server stopped first): what it wrote is at `Location`.",
                ))
            });
            add_problems(op, &["409", "413", "415", "422"]);
        }
        if let Some(op) = item.patch.as_mut() {
            common(op, nested);
            add_parameter(op, "If-Match");
            add_headers(op, "200", &["ETag"]);
            add_problems(op, &["409", "412", "413", "415", "422"]);
        }
        if let Some(op) = item.delete.as_mut() {
            common(op, nested);
            add_parameter(op, "If-Match");
            add_problems(op, &["409", "412"]);
        }
    }
}

/// What text in a JSON request body may hold: no control characters but tab, line feed and
/// carriage return (`extract::is_allowed_in_text`).
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// What a query parameter or a token endpoint parameter may hold: no control characters at all
/// (the checks in `middleware` and `routes::auth`).
pub const LINE_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";

/// States the rules every text input follows: `LINE_PATTERN` on each free-text query parameter
/// and token endpoint parameter, `TEXT_PATTERN` on each free-text string of a JSON body, and the
/// length limit of `q`.
fn add_text_rules(api: &mut utoipa::openapi::OpenApi) {
    let mut bodies = Vec::new();
    for (path, item) in api.paths.paths.iter_mut() {
        let body_pattern = if path.starts_with(AUTH_PREFIX) {
            LINE_PATTERN
        } else {
            TEXT_PATTERN
        };
        for op in [&mut item.get, &mut item.post, &mut item.patch, &mut item.put, &mut item.delete]
            .into_iter()
            .flatten()
        {
            let mut searched = false;
            for parameter in op.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else {
                    continue;
                };
                if !matches!(parameter.parameter_in, ParameterIn::Query) {
                    continue;
                }
                if let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut()
                    && mark_text(schema, LINE_PATTERN)
                    && parameter.name == "q"
                {
                    schema.max_length = Some(crate::search::MAX_QUERY_CHARS);
                    searched = true;
                }
            }
            if searched {
                // More words than a search takes (`search::MAX_QUERY_TERMS`).
                add_problems(op, &["422"]);
            }
            if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = content.schema.as_mut()
                    {
                        collect_text(schema, body_pattern, &mut bodies);
                    }
                }
            }
        }
    }
    // Body schemas are components; follow their references, each once, with the pattern of
    // the body that refers to them.
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let mut seen = std::collections::BTreeSet::new();
    while let Some((name, pattern)) = bodies.pop() {
        if seen.insert(name.clone())
            && let Some(schema) = components.schemas.get_mut(&name)
        {
            collect_text(schema, pattern, &mut bodies);
        }
    }
}

/// Gives the free-text strings within `schema` `pattern`, and adds the names of the component
/// schemas it refers to, with that pattern, to `refs`.
fn collect_text(schema: &mut RefOr<Schema>, pattern: &'static str, refs: &mut Vec<(String, &'static str)>) {
    match schema {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                refs.push((name.to_owned(), pattern));
            }
        }
        RefOr::T(Schema::Object(object)) => {
            mark_text(object, pattern);
            for property in object.properties.values_mut() {
                collect_text(property, pattern, refs);
            }
        }
        RefOr::T(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                collect_text(items, pattern, refs);
            }
        }
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter_mut().for_each(|s| collect_text(s, pattern, refs)),
        RefOr::T(Schema::AllOf(all_of)) => all_of.items.iter_mut().for_each(|s| collect_text(s, pattern, refs)),
        RefOr::T(Schema::AnyOf(any_of)) => any_of.items.iter_mut().for_each(|s| collect_text(s, pattern, refs)),
        RefOr::T(_) => {}
    }
}

/// Gives a free-text string (no choices or pattern of its own, no format but `password`)
/// `pattern`; whether the schema is one.
fn mark_text(schema: &mut Object, pattern: &str) -> bool {
    let string = match &schema.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    let free_format = matches!(schema.format, None | Some(SchemaFormat::KnownFormat(KnownFormat::Password)));
    let free = string && free_format && schema.enum_values.is_none() && schema.pattern.is_none();
    if free {
        schema.pattern = Some(pattern.to_owned());
    }
    free
}

/// Error answers by status, as named components.
const PROBLEMS: &[(&str, &str)] = &[
    (
        "400",
        "Bad request: malformed JSON, wrong types, unknown or server-owned fields, or invalid parameters.",
    ),
    ("404", "Not found: no such record, or it is not visible to the caller."),
    ("409", "Conflict with the current state of the record or of related records."),
    ("412", "Precondition failed: the `If-Match` tag is not the current version."),
    ("413", "The request body is larger than the configured limit."),
    ("415", "The request body is not JSON."),
    (
        "422",
        "Well-formed input that breaks a rule; `errors` lists every offending field. Also an `Idempotency-Key` reused with a different request.",
    ),
    (
        "500",
        "Unexpected error; the body never contains internals, quote the `request_id`.",
    ),
    (
        "503",
        "A dependency (the database) is unavailable; retry after `Retry-After` seconds.",
    ),
];

const RESPONSE_HEADERS: &[(&str, &str)] = &[
    (
        "ETag",
        "Strong entity tag: the resource's `version` and a digest of this representation, e.g. `\"3-9f2c4e1a0b7d5c36\"`. `If-Match` takes it, or just the version (`\"3\"`).",
    ),
    ("Location", "Path of the created resource."),
    ("Link", "`<…>; rel=\"next\"` pointing at the next page, when there is one."),
];

/// One entity tag as RFC 9110 writes it (`"3"`, `W/"3-9f2c"`), in ASCII and without commas
/// (which separate the tags of a list).
const ENTITY_TAG: &str = r#"(W/)?"[!#-+\--~]*""#;

fn request_headers() -> Vec<(&'static str, Parameter)> {
    let header = |name: &str, description: &str, schema: Object| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema))
            .build()
    };
    let tag_list = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!(r"^(\*|{ENTITY_TAG}( *, *{ENTITY_TAG})*)$")))
            .build()
    };
    vec![
        (
            "If-Match",
            header(
                "If-Match",
                "Apply the change only if the resource's `ETag` is one of these (otherwise 412).",
                tag_list(),
            ),
        ),
        (
            "If-None-Match",
            header(
                "If-None-Match",
                "Answer 304 instead of the resource when its `ETag` is one of these.",
                tag_list(),
            ),
        ),
        (
            "Idempotency-Key",
            header(
                "Idempotency-Key",
                "A unique key (at most 200 characters) that makes retrying safe: the same key with the same body replays the first answer; with another body it is a 422.",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[!-~]+$"))
                    .min_length(Some(1))
                    .max_length(Some(crate::idempotency::MAX_KEY_LEN))
                    .build(),
            ),
        ),
    ]
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, Content::new(Some(Ref::from_schema_name("Problem"))))
        .build()
}

fn common(op: &mut Operation, nested: bool) {
    let has_input = op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    if has_input {
        add_problems(op, &["400"]);
    }
    if nested {
        add_problems(op, &["404"]);
    }
    add_problems(op, &["500", "503"]);
}

fn add_problems(op: &mut Operation, statuses: &[&str]) {
    for status in statuses {
        op.responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*status)));
    }
}

fn add_parameter(op: &mut Operation, name: &str) {
    op.parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::Ref(Ref::new(format!("#/components/parameters/{name}"))));
}

fn add_headers(op: &mut Operation, status: &str, names: &[&str]) {
    if let Some(RefOr::T(response)) = op.responses.responses.get_mut(status) {
        for name in names {
            response
                .headers
                .insert((*name).to_owned(), RefOr::Ref(Ref::new(format!("#/components/headers/{name}"))));
        }
    }
}
