//! API2:2023 Broken authentication.
//!
//! Builds on `tokens.rs`, which refuses expired, not-yet-valid, wrongly issued, tampered,
//! `alg: none`, HS256-confused, unknown-key and refresh tokens
//! (`forged_stale_and_misused_tokens_get_401`), rotates refresh tokens and ends a login's family
//! when a used one comes back (`people_log_in_and_their_refresh_tokens_rotate`), and compares the
//! `detail` of two failed logins. Here: malformed `Authorization` headers; tokens offered
//! anywhere but that header; signatures made with a key the service does not hold, even under
//! its own `kid` or with the key embedded in the token, and headers it does not issue even under
//! its own key; `exp`, `nbf` and `iat` allowed exactly the configured clock skew; a reused
//! refresh token ends only its own login, and changing a user ends all of its logins; failed
//! logins and failed client authentications are identical whatever the cause; and passwords
//! are kept as salted Argon2id hashes, client secrets only as digests.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lienket::auth::keys::{KeySet, generate_pem};
use lienket::domain::{Classification, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{PASSWORD, revealed, world};
use crate::helpers::{Answer, TestApp, b64, form, login, refresh, spawn_app, spawn_app_with, user_grant};

fn assert_refused(answer: &Answer, challenge: &str, what: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}: {answer:?}");
    assert_eq!(answer.body["code"], "unauthorized", "{what}");
    assert_eq!(answer.header("www-authenticate"), Some(challenge), "{what}");
}

async fn client_login(app: &TestApp, id: &str, secret: &str) -> Answer {
    form(
        app,
        "/api/v1/auth/token",
        &[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)],
    )
    .await
}

/// The stored password hash of a user.
async fn stored_hash(app: &TestApp, id: &str) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::users::Entity::find()
        .filter(entity::users::Column::Id.eq(id.parse::<Uuid>().unwrap()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the user row")
        .password_hash
}

const NO_TOKEN: &str = r#"Bearer realm="lienket""#;
const BAD_TOKEN: &str = r#"Bearer realm="lienket", error="invalid_token""#;

#[actix_web::test]
async fn malformed_authorization_headers_get_401() {
    let app = spawn_app().await;
    let token = app.token(user_grant(Role::Analyst, Uuid::now_v7(), Classification::Internal));
    let get = |value: Option<String>| {
        let mut request = app.anonymous_request(Method::GET, "/api/v1/units");
        if let Some(value) = value {
            request = request.header("authorization", value);
        }
        app.send(request)
    };
    assert_eq!(get(Some(format!("Bearer {token}"))).await.status, StatusCode::OK);
    assert_eq!(
        get(Some(format!("bearer {token}"))).await.status,
        StatusCode::OK,
        "the scheme is case-insensitive"
    );

    assert_refused(&get(None).await, NO_TOKEN, "no header");
    let cases = [
        ("scheme alone", "Bearer".to_owned()),
        ("empty token", "Bearer ".to_owned()),
        ("another scheme", format!("Token {token}")),
        ("Basic", "Basic YWRtaW46YWRtaW4=".to_owned()),
        ("the token without a scheme", token.clone()),
        ("two tokens", format!("Bearer {token} {token}")),
        ("a quoted token", format!("Bearer \"{token}\"")),
        ("characters no JWT holds", format!("Bearer {token}%")),
        (
            "an endless token",
            format!("Bearer {}.{}.{}", "a".repeat(4000), "b".repeat(4000), "c".repeat(400)),
        ),
        ("two parts", "Bearer eyJhbGciOiJFZERTQSJ9.e30".to_owned()),
        ("four parts", format!("Bearer {token}.x")),
    ];
    for (what, value) in cases {
        assert_refused(&get(Some(value)).await, BAD_TOKEN, what);
    }
    // Two Authorization headers, even two good ones, are refused rather than one chosen.
    let twice = app
        .send(
            app.anonymous_request(Method::GET, "/api/v1/units")
                .header("authorization", format!("Bearer {token}"))
                .header("authorization", format!("Bearer {token}")),
        )
        .await;
    assert_refused(&twice, BAD_TOKEN, "two headers");
}

#[actix_web::test]
async fn tokens_are_read_from_the_authorization_header_only() {
    let app = spawn_app().await;
    let token = app.token(user_grant(Role::Admin, Uuid::now_v7(), Classification::Secret));
    let unit = json!({"name": "Công an xã Bát Tràng", "force": "police", "level": "commune"});

    let in_query = app
        .send(app.anonymous_request(Method::GET, &format!("/api/v1/units?access_token={token}")))
        .await;
    assert_refused(&in_query, NO_TOKEN, "access_token in the query");
    let in_form = app
        .send(
            app.anonymous_request(Method::POST, "/api/v1/units")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("access_token={token}&name=x&force=police&level=commune")),
        )
        .await;
    assert_refused(&in_form, NO_TOKEN, "access_token in a form body");
    let mut with_token = unit.clone();
    with_token["access_token"] = json!(token);
    let in_json = app
        .send(app.anonymous_request(Method::POST, "/api/v1/units").json(&with_token))
        .await;
    assert_refused(&in_json, NO_TOKEN, "access_token in a JSON body");
    let in_cookie = app
        .send(
            app.anonymous_request(Method::GET, "/api/v1/units")
                .header("cookie", format!("access_token={token}; token={token}")),
        )
        .await;
    assert_refused(&in_cookie, NO_TOKEN, "a cookie");
    for header in ["x-access-token", "x-auth-token", "x-api-key", "proxy-authorization"] {
        let answer = app
            .send(
                app.anonymous_request(Method::GET, "/api/v1/units")
                    .header(header, format!("Bearer {token}")),
            )
            .await;
        assert_refused(&answer, NO_TOKEN, header);
    }
    // Next to a good header, a token in the query is not quietly consumed either.
    let both = app
        .send(app.request_as(&token, Method::GET, &format!("/api/v1/units?access_token={token}")))
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST, "{both:?}");
    assert_eq!(both.problem().1, [("access_token".to_owned(), "unknown_field".to_owned())]);
    assert!(app.collect("/api/v1/units").await.is_empty(), "nothing was created");
}

#[actix_web::test]
async fn only_the_services_own_keys_make_a_signature_valid() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": "lienket", "aud": "lienket-api", "sub": Uuid::now_v7(), "unit_id": Uuid::now_v7(),
        "roles": ["admin"], "clearance": "secret", "scope": "reference:read principals:manage", "jti": Uuid::now_v7(),
        "iat": now, "nbf": now, "exp": now + 600,
    });
    let genuine = app.tokens.sign_access_claims(&claims).unwrap();
    let call = |token: String| app.send(app.request_as(&token, Method::GET, "/api/v1/users"));
    assert_eq!(call(genuine.clone()).await.status, StatusCode::OK, "the genuine token works");
    let kid = jsonwebtoken::decode_header(&genuine).unwrap().kid.unwrap();
    let parts: Vec<&str> = genuine.split('.').collect();

    // Tokens signed with a key the service does not hold, under whatever header.
    let stranger_pem = generate_pem().unwrap();
    let stranger = EncodingKey::from_ed_pem(stranger_pem.as_bytes()).unwrap();
    let stranger_jwk = KeySet::from_signing_pem(&stranger_pem).unwrap().jwks()["keys"][0].clone();
    let signed = |header: Value| {
        let header: Header = serde_json::from_value(header).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        jsonwebtoken::encode(&header, &claims, &stranger).unwrap()
    };
    let mut flipped = parts[2].as_bytes().to_vec();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    let other = app.token(user_grant(Role::Officer, Uuid::now_v7(), Classification::Public));
    let mut cases: Vec<(&str, String)> = vec![
        (
            "one character of the signature changed",
            format!("{}.{}.{}", parts[0], parts[1], String::from_utf8(flipped).unwrap()),
        ),
        (
            "the signature of another token",
            format!("{}.{}.{}", parts[0], parts[1], other.split('.').nth(2).unwrap()),
        ),
        ("an empty signature", format!("{}.{}.", parts[0], parts[1])),
        (
            "a stranger's key under the service's kid",
            signed(json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid})),
        ),
        (
            "a stranger's key embedded in the header",
            signed(json!({"alg": "EdDSA", "typ": "at+jwt", "kid": stranger_jwk["kid"], "jwk": stranger_jwk})),
        ),
        (
            "a stranger's key to be fetched",
            signed(json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid, "jku": "http://127.0.0.1:9/jwks.json"})),
        ),
        (
            "a stranger's key under its own kid",
            signed(json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "stranger"})),
        ),
    ];
    // The service's own key does not make up for a header it does not issue.
    let (own_key, own_kid) = app.tokens.keys().signing();
    let own = |header: Value| jsonwebtoken::encode(&serde_json::from_value(header).unwrap(), &claims, own_key).unwrap();
    let control = own(json!({"alg": "EdDSA", "typ": "at+jwt", "kid": own_kid}));
    assert_eq!(call(control).await.status, StatusCode::OK, "a header as the service writes it");
    cases.push(("typ JWT", own(json!({"alg": "EdDSA", "typ": "JWT", "kid": own_kid}))));
    cases.push(("no typ", own(json!({"alg": "EdDSA", "kid": own_kid}))));
    cases.push(("no kid", own(json!({"alg": "EdDSA", "typ": "at+jwt"}))));
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = b64(json!({"alg": alg, "typ": "at+jwt", "kid": kid}).to_string().as_bytes());
        cases.push(("alg none, no signature", format!("{header}.{}.", parts[1])));
        cases.push(("alg none, the genuine signature", format!("{header}.{}.{}", parts[1], parts[2])));
    }
    for (what, token) in cases {
        assert_refused(&call(token).await, BAD_TOKEN, what);
    }
}

#[actix_web::test]
async fn expiry_is_enforced_within_the_configured_clock_skew_only() {
    let app = spawn_app_with(|auth| auth.clock_skew_secs = 60).await;
    let now = chrono::Utc::now().timestamp();
    let token = |iat: i64, nbf: i64, exp: i64| {
        app.tokens
            .sign_access_claims(&json!({
                "iss": "lienket", "aud": "lienket-api", "sub": Uuid::now_v7(), "unit_id": Uuid::now_v7(),
                "roles": ["analyst"], "clearance": "internal", "scope": "reference:read", "jti": Uuid::now_v7(),
                "iat": iat, "nbf": nbf, "exp": exp,
            }))
            .unwrap()
    };
    let call = |token: String| app.send(app.request_as(&token, Method::GET, "/api/v1/units"));
    // Within a minute of difference, as configured.
    let tolerated = [
        ("expired 30 s ago", token(now - 900, now - 900, now - 30)),
        ("valid in 30 s", token(now, now + 30, now + 900)),
        ("issued 30 s ahead", token(now + 30, now + 30, now + 900)),
    ];
    for (what, token) in tolerated {
        assert_eq!(call(token).await.status, StatusCode::OK, "{what}");
    }
    let refused = [
        ("expired 2 min ago", token(now - 1000, now - 1000, now - 120)),
        ("valid in 2 min", token(now, now + 120, now + 900)),
        ("issued 2 min ahead", token(now + 120, now + 120, now + 900)),
        ("expired before it was issued", token(now - 1000, now - 1000, now - 2000)),
    ];
    for (what, token) in refused {
        assert_refused(&call(token).await, BAD_TOKEN, what);
    }
}

/// The service remembers the access tokens it has verified, and checks a remembered token's
/// times on every use: one accepted while valid is refused once it expires. (That a changed copy
/// of a remembered token is verified afresh, and refused, is
/// `only_the_services_own_keys_make_a_signature_valid`: its genuine token is used first.)
#[actix_web::test]
async fn a_token_accepted_before_is_refused_once_it_expires() {
    let app = spawn_app_with(|auth| auth.clock_skew_secs = 0).await;
    let now = chrono::Utc::now().timestamp();
    let token = app
        .tokens
        .sign_access_claims(&json!({
            "iss": "lienket", "aud": "lienket-api", "sub": Uuid::now_v7(), "unit_id": Uuid::now_v7(),
            "roles": ["analyst"], "clearance": "internal", "scope": "reference:read", "jti": Uuid::now_v7(),
            "iat": now, "nbf": now, "exp": now + 5,
        }))
        .unwrap();
    let call = || app.send(app.request_as(&token, Method::GET, "/api/v1/units"));
    assert_eq!(call().await.status, StatusCode::OK, "valid for five more seconds");
    assert_eq!(call().await.status, StatusCode::OK, "still valid, now remembered");
    tokio::time::sleep(std::time::Duration::from_millis(6500)).await;
    assert_refused(&call().await, BAD_TOKEN, "expired since it was remembered");
}

#[actix_web::test]
async fn a_reused_refresh_token_ends_its_own_login_and_a_changed_user_ends_all() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let phone = login(&app, &w.user_name, PASSWORD).await;
    let laptop = login(&app, &w.user_name, PASSWORD).await;
    let phone_first = phone.body["refresh_token"].as_str().unwrap().to_owned();
    let laptop_first = laptop.body["refresh_token"].as_str().unwrap().to_owned();

    // Someone replays the phone's used refresh token: the phone's login ends, the laptop's does not.
    let rotated = refresh(&app, &phone_first).await;
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:?}");
    let reused = refresh(&app, &phone_first).await;
    assert_eq!(reused.body["error"], "invalid_grant", "{reused:?}");
    let phone_next = refresh(&app, rotated.body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(phone_next.body["error"], "invalid_grant", "the phone's login ended: {phone_next:?}");
    let laptop_next = refresh(&app, &laptop_first).await;
    assert_eq!(laptop_next.status, StatusCode::OK, "the laptop's login goes on: {laptop_next:?}");

    // An access token is not a refresh token.
    let access = laptop_next.body["access_token"].as_str().unwrap().to_owned();
    let as_refresh = refresh(&app, &access).await;
    assert_eq!(as_refresh.body["error"], "invalid_grant", "{as_refresh:?}");

    // A new password ends every login of the user at once.
    let laptop_latest = laptop_next.body["refresh_token"].as_str().unwrap().to_owned();
    let changed = app
        .patch(&format!("/api/v1/users/{}", w.user), &json!({"password": "a brand new passphrase"}))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    let after = refresh(&app, &laptop_latest).await;
    assert_eq!(after.body["error"], "invalid_grant", "{after:?}");
    assert_eq!(login(&app, &w.user_name, PASSWORD).await.body["error"], "invalid_grant");
    assert_eq!(login(&app, &w.user_name, "a brand new passphrase").await.status, StatusCode::OK);

    // So does disabling the user.
    let session = login(&app, &w.user_name, "a brand new passphrase").await;
    let disabled = app.patch(&format!("/api/v1/users/{}", w.user), &json!({"disabled": true})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    let after = refresh(&app, session.body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(after.body["error"], "invalid_grant", "{after:?}");
}

#[actix_web::test]
async fn failed_logins_answer_alike_whatever_the_cause() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for (username, change) in [("disabled.user", Some(json!({"disabled": true}))), ("deleted.user", None)] {
        let created = app
            .create(
                "/api/v1/users",
                json!({"username": username, "display_name": username, "unit_id": w.home, "roles": ["analyst"], "password": PASSWORD}),
            )
            .await;
        let path = format!("/api/v1/users/{created}");
        let answer = match change {
            Some(change) => app.patch(&path, &change).await,
            None => app.delete(&path).await,
        };
        assert!(answer.status.is_success(), "{answer:?}");
    }
    let wrong_password = login(&app, &w.user_name, "not the right passphrase").await;
    let failures = [
        ("wrong password", wrong_password),
        ("unknown user", login(&app, "nobody.at.all", "not the right passphrase").await),
        ("disabled user, right password", login(&app, "disabled.user", PASSWORD).await),
        ("deleted user, right password", login(&app, "deleted.user", PASSWORD).await),
        (
            "a name no account can have",
            login(&app, "Robert'); DROP TABLE users;--", PASSWORD).await,
        ),
    ];
    let reference = revealed(&failures[0].1);
    assert_eq!(failures[0].1.status, StatusCode::BAD_REQUEST);
    assert_eq!(failures[0].1.body["error"], "invalid_grant");
    assert_eq!(failures[0].1.header("cache-control"), Some("no-store"));
    for (what, answer) in &failures {
        assert_eq!(revealed(answer), reference, "{what}");
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
    }
    assert_eq!(login(&app, "OFFICER.GiaLam", PASSWORD).await.status, StatusCode::OK);

    // Agency systems: a wrong secret, an unknown client, a malformed id, a disabled or deleted
    // client all get the same 401.
    let disabled = app
        .post(
            "/api/v1/clients",
            &json!({"name": "Hệ thống tạm ngừng", "unit_id": w.home, "scopes": ["reference:read"]}),
        )
        .await;
    let (disabled_id, disabled_secret) = (disabled.id(), disabled.body["client_secret"].as_str().unwrap().to_owned());
    let off = app
        .patch(&format!("/api/v1/clients/{disabled_id}"), &json!({"disabled": true}))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{off:?}");
    let deleted = app
        .post(
            "/api/v1/clients",
            &json!({"name": "Hệ thống đã xóa", "unit_id": w.home, "scopes": ["reference:read"]}),
        )
        .await;
    let (deleted_id, deleted_secret) = (deleted.id(), deleted.body["client_secret"].as_str().unwrap().to_owned());
    assert_eq!(
        app.delete(&format!("/api/v1/clients/{deleted_id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let failures = [
        ("wrong secret", client_login(&app, &w.client, "lks_not_the_secret").await),
        ("another client's secret", client_login(&app, &w.client, &disabled_secret).await),
        (
            "unknown client",
            client_login(&app, &Uuid::now_v7().to_string(), &w.client_secret).await,
        ),
        ("malformed id", client_login(&app, "not-a-client", &w.client_secret).await),
        ("disabled client", client_login(&app, &disabled_id, &disabled_secret).await),
        ("deleted client", client_login(&app, &deleted_id, &deleted_secret).await),
    ];
    let reference = revealed(&failures[0].1);
    assert_eq!(failures[0].1.status, StatusCode::UNAUTHORIZED);
    assert_eq!(failures[0].1.body["error"], "invalid_client");
    assert_eq!(failures[0].1.header("www-authenticate"), Some(r#"Basic realm="lienket""#));
    for (what, answer) in &failures {
        assert_eq!(revealed(answer), reference, "{what}");
    }
    assert_eq!(client_login(&app, &w.client, &w.client_secret).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn passwords_are_kept_as_salted_argon2id_hashes_and_secrets_as_digests() {
    use argon2::{Argon2, PasswordHash, PasswordVerifier};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let app = spawn_app().await;
    let w = world(&app).await;
    let twin = app
        .create(
            "/api/v1/users",
            json!({"username": "twin.password", "display_name": "Cùng mật khẩu", "unit_id": w.home, "roles": ["analyst"], "password": PASSWORD}),
        )
        .await;
    let (first, second) = (stored_hash(&app, &w.user).await, stored_hash(&app, &twin).await);
    for hash in [&first, &second] {
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "Argon2id with the documented cost: {hash}"
        );
        assert!(!hash.contains(PASSWORD));
        let parsed = PasswordHash::new(hash).unwrap();
        assert!(Argon2::default().verify_password(PASSWORD.as_bytes(), &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong", &parsed).is_err());
    }
    assert_ne!(first, second, "each hash has its own salt");
    let salt = |hash: &str| hash.split('$').nth(4).unwrap().to_owned();
    assert_ne!(salt(&first), salt(&second));

    let client = entity::clients::Entity::find()
        .filter(entity::clients::Column::Id.eq(w.client.parse::<Uuid>().unwrap()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the client row");
    assert!(!client.secret_hash.contains(&w.client_secret), "the secret is not stored");
    assert_eq!(client.secret_hash, lienket::auth::passwords::secret_digest(&w.client_secret));
    assert_ne!(client.secret_hash, lienket::auth::passwords::secret_digest("lks_another"));
    // The refresh tokens are not kept either, only their ids.
    let session = login(&app, &w.user_name, PASSWORD).await;
    let refresh = session.body["refresh_token"].as_str().unwrap();
    let rows = entity::refresh_tokens::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = format!("{:?}", rows[0]);
    for part in refresh.split('.') {
        assert!(!row.contains(part), "the refresh token is not stored: {row}");
    }
}
