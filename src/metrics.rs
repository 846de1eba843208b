//! What `/metrics` reports, in Prometheus's text format: requests by operation, method and
//! status, their durations by operation, and the database pool's connections. One set per
//! process, shared by the workers; operations are the documented ones (anything else counts as
//! `none`), so the number of series stays bounded whatever paths callers send.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::db::RequestPools;
use crate::error::{ApiError, ApiResult};

/// The label of requests that match no documented operation.
pub const NO_OPERATION: &str = "none";

/// The media type of Prometheus's text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the duration buckets, in seconds: from a cached read to a slow statistics
/// request.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    connections: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Result<Self, String> {
        let failed = |e: prometheus::Error| format!("cannot set up the metrics: {e}");
        let registry = Registry::new_custom(Some("lienket".to_owned()), None).map_err(failed)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "Requests answered, by operation, method and status."),
            &["operation", "method", "status"],
        )
        .map_err(failed)?;
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from receiving a request to its answer, by operation.",
            )
            .buckets(BUCKETS.to_vec()),
            &["operation"],
        )
        .map_err(failed)?;
        let connections = IntGaugeVec::new(
            Opts::new(
                "db_connections",
                "Open database connections of the pools requests use, by state (idle or in_use).",
            ),
            &["state"],
        )
        .map_err(failed)?;
        registry.register(Box::new(requests.clone())).map_err(failed)?;
        registry.register(Box::new(durations.clone())).map_err(failed)?;
        registry.register(Box::new(connections.clone())).map_err(failed)?;
        Ok(Self {
            registry,
            requests,
            durations,
            connections,
        })
    }

    /// Counts one answered request.
    pub fn observe(&self, operation: &str, method: &Method, status: StatusCode, elapsed: Duration) {
        // Callers may send any token as a method; only the standard ones get their own series.
        let method = match *method {
            Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS => method.as_str(),
            _ => "other",
        };
        self.requests.with_label_values(&[operation, method, status.as_str()]).inc();
        self.durations.with_label_values(&[operation]).observe(elapsed.as_secs_f64());
    }

    /// Everything, as Prometheus reads it; the requests' pools' connections are read now.
    pub fn render(&self, pools: &RequestPools) -> ApiResult<String> {
        let (size, idle) = pools.connections();
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.connections.with_label_values(&["idle"]).set(idle);
        self.connections
            .with_label_values(&["in_use"])
            .set(i64::from(size).saturating_sub(idle).max(0));
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .map_err(|e| ApiError::internal(format!("metrics encoding: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_operation_method_and_status() {
        let metrics = Metrics::new().unwrap();
        metrics.observe("get_cluster", &Method::GET, StatusCode::OK, Duration::from_millis(30));
        metrics.observe("get_cluster", &Method::GET, StatusCode::OK, Duration::from_millis(3));
        metrics.observe(NO_OPERATION, &Method::POST, StatusCode::NOT_FOUND, Duration::from_millis(1));
        metrics.observe(
            NO_OPERATION,
            &Method::from_bytes(b"BREW").unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            Duration::from_millis(1),
        );
        let text = TextEncoder::new().encode_to_string(&metrics.registry.gather()).unwrap();
        assert!(
            text.contains(r#"lienket_http_requests_total{method="GET",operation="get_cluster",status="200"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"lienket_http_requests_total{method="POST",operation="none",status="404"} 1"#));
        assert!(text.contains(r#"lienket_http_requests_total{method="other",operation="none",status="405"} 1"#));
        assert!(!text.contains("BREW"));
        assert!(text.contains(r#"lienket_http_request_duration_seconds_bucket{operation="get_cluster",le="0.005"} 1"#));
        assert!(text.contains(r#"lienket_http_request_duration_seconds_count{operation="get_cluster"} 2"#));
    }
}
