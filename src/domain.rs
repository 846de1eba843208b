//! The vocabulary of the domain: enumerations shared by requests, responses and stored records.
//!
//! Stored as their lower_snake_case text, so both databases hold the same values the API shows.

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

use crate::error::{ApiError, ApiResult};
use crate::i18n::{Noun, capitalize};
use crate::text;

/// A calendar day as clients write it: exactly `YYYY-MM-DD`. Stricter than chrono's parser
/// (which takes signed and five-digit years), so every date fits both databases and sorts as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NaiveDate);

impl Date {
    pub fn parse(text: &str) -> Result<Self, String> {
        let b = text.as_bytes();
        let shaped = b.len() == 10
            && b.iter()
                .enumerate()
                .all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
        if !shaped {
            return Err(format!("expected a date written YYYY-MM-DD, got {text:?}"));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Date)
            .map_err(|_| format!("{text} is not a day of the calendar"))
    }
}

impl From<Date> for NaiveDate {
    fn from(date: Date) -> Self {
        date.0
    }
}

impl From<Date> for sea_orm::Value {
    fn from(date: Date) -> Self {
        date.0.into()
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Date {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(r"^\d{4}-\d{2}-\d{2}$"))
            .description(Some("A calendar day, `YYYY-MM-DD`."))
            .examples([serde_json::json!("2025-03-01")])
            .into()
    }
}

impl ToSchema for Date {}

/// A moment as clients write it: RFC 3339 with an offset (`2025-03-01T08:30:00+07:00`), in the
/// years 1900–9999, kept in UTC at microsecond precision (what both databases store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed = DateTime::parse_from_rfc3339(text)
            .map_err(|_| format!("expected a time written as RFC 3339 with an offset, e.g. 2025-03-01T08:30:00+07:00, got {text:?}"))?;
        if !(1900..=9999).contains(&parsed.year()) {
            return Err(format!("{text} is outside the years 1900–9999"));
        }
        Ok(Timestamp(parsed.with_timezone(&Utc).trunc_subsecs(6)))
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .pattern(Some(r"^(19|[2-9][0-9])[0-9]{2}-"))
            .description(Some("A moment in RFC 3339 with an offset, years 1900–9999."))
            .examples([serde_json::json!("2025-03-01T08:30:00+07:00")])
            .into()
    }
}

impl ToSchema for Timestamp {}

/// Conversion between a domain enumeration and the text a database column holds.
pub trait Stored: Sized + std::str::FromStr + AsRef<str> {
    /// Reads a stored value; a value the code does not know means corrupted data, an internal error.
    fn from_stored(value: &str) -> ApiResult<Self> {
        value
            .parse()
            .map_err(|_| ApiError::internal(format!("unknown stored value {value:?} for {}", std::any::type_name::<Self>())))
    }

    fn stored(&self) -> String {
        self.as_ref().to_owned()
    }
}

macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, ToSchema,
            strum::AsRefStr, strum::EnumString, strum::VariantNames, strum::EnumIter,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl Stored for $name {}
    };
}

domain_enum! {
    /// The armed or civil force an agency unit belongs to.
    Force { Police, Military, BorderGuard, Militia, CivilAuthority, MassOrganization }
}

domain_enum! {
    /// The administrative level an agency unit works at.
    UnitLevel { Central, Province, District, Commune }
}

domain_enum! {
    /// The level of an administrative area.
    AreaLevel { Province, District, Commune }
}

domain_enum! {
    /// The kind of a legal document.
    LegalDocumentKind { Law, Decree, Decision, Resolution, Directive, Circular, Plan }
}

domain_enum! {
    /// The shape of a coordination relationship.
    ClusterKind { LiaisonCluster, BorderCluster, ChainCluster, Bilateral, TriForce }
}

domain_enum! {
    /// Where a cluster is in its life: `forming` until its members are in place, `active` while it
    /// works (it then needs at least two member units), `suspended`, or `dissolved`.
    ClusterStatus { Forming, Active, Suspended, Dissolved }
}

domain_enum! {
    /// Sensitivity of a record, from least to most restricted.
    Classification { Public, Internal, Confidential, Secret }
}

domain_enum! {
    /// What a principal is trusted with. `admin`: reference data, principals, everything;
    /// `coordinator`: manages the clusters its unit belongs to; `officer`: records its unit's
    /// work; `analyst`: reads and runs statistics; `auditor`: reads the audit trail;
    /// `integration`: an agency system, whose rights are its granted scopes.
    Role { Admin, Coordinator, Officer, Analyst, Auditor, Integration }
}

domain_enum! {
    /// A right an access token carries, as OAuth 2.0 scope words. A user's token carries the
    /// scopes its roles have; an agency client's, those it was granted.
    Scope {
        #[serde(rename = "reference:read")] #[strum(serialize = "reference:read")] ReferenceRead,
        #[serde(rename = "reference:write")] #[strum(serialize = "reference:write")] ReferenceWrite,
        #[serde(rename = "clusters:read")] #[strum(serialize = "clusters:read")] ClustersRead,
        #[serde(rename = "clusters:write")] #[strum(serialize = "clusters:write")] ClustersWrite,
        #[serde(rename = "records:write")] #[strum(serialize = "records:write")] RecordsWrite,
        #[serde(rename = "audit:read")] #[strum(serialize = "audit:read")] AuditRead,
        #[serde(rename = "operations:read")] #[strum(serialize = "operations:read")] OperationsRead,
        #[serde(rename = "principals:manage")] #[strum(serialize = "principals:manage")] PrincipalsManage,
    }
}

domain_enum! {
    /// A unit's role in a cluster: the `lead` (cụm trưởng, at most one at a time), a `member`, or an `observer`.
    MemberRole { Lead, Member, Observer }
}

domain_enum! {
    /// Where a coordination regulation is in its life.
    RegulationStatus { Draft, Signed, InForce, Superseded, Terminated }
}

domain_enum! {
    /// How serious an incident is.
    Severity { Low, Medium, High, Critical }
}

domain_enum! {
    /// Where an incident is in its workflow: `reported` → `verifying` → `verified` or
    /// `unfounded`; a verified incident → `handling` → `resolved`; `unfounded` and `resolved`
    /// incidents are `closed`. Moves go through `POST /incidents/{id}/transitions`.
    IncidentStatus { Reported, Verifying, Verified, Unfounded, Handling, Resolved, Closed }
}

domain_enum! {
    /// The kind of a community security model: a people's patrol team (tổ tuần tra nhân dân), a
    /// self-managed group of neighbouring households (tổ liên gia tự quản), a fire-safety group
    /// (tổ liên gia an toàn PCCC), a security and order protection team (tổ bảo vệ ANTT), a
    /// safe-community model (khu dân cư an toàn), or another kind.
    CommunityModelKind { PeoplesPatrol, SelfManagedHouseholds, FireSafety, SecurityTeam, SafeCommunity, Other }
}

domain_enum! {
    /// Whether a community model is working: `active`, `suspended`, or `dissolved`.
    CommunityModelStatus { Active, Suspended, Dissolved }
}

domain_enum! {
    /// The kind of a joint activity: a `patrol`, a `drill` (defence-zone, fire and rescue), the
    /// security of an event (`event_security`), a `training` course, an `outreach` session on the
    /// law, or a `crackdown_campaign` (đợt cao điểm tấn công trấn áp tội phạm).
    ActivityKind { Patrol, Drill, EventSecurity, Training, Outreach, CrackdownCampaign }
}

domain_enum! {
    /// Where an activity is: `planned` → `in_progress` → `completed`; a planned or running
    /// activity may be `cancelled`.
    ActivityStatus { Planned, InProgress, Completed, Cancelled }
}

domain_enum! {
    /// A named outcome figure of an activity, a count that can be summed across activities.
    /// `cases_detected`: cases (vụ việc) found; `cases_handled`: cases dealt with;
    /// `persons_handled`: individuals or organisations dealt with; `violations_recorded`:
    /// administrative violations written up; `sessions_held`: sessions or rounds held;
    /// `attendees`: people who attended; `communes_covered`: communes the activity covered.
    /// Which figures each kind takes: see `ActivityKind::figures`.
    FigureName { CasesDetected, CasesHandled, PersonsHandled, ViolationsRecorded, SessionsHeld, Attendees, CommunesCovered }
}

impl ActivityKind {
    /// The outcome figures an activity of this kind may report.
    pub fn figures(self) -> &'static [FigureName] {
        use FigureName::*;
        match self {
            ActivityKind::Patrol | ActivityKind::CrackdownCampaign => &[CasesDetected, CasesHandled, PersonsHandled, ViolationsRecorded],
            ActivityKind::EventSecurity => &[CasesDetected, ViolationsRecorded],
            ActivityKind::Drill => &[SessionsHeld, CommunesCovered],
            ActivityKind::Training | ActivityKind::Outreach => &[SessionsHeld, Attendees],
        }
    }
}

impl Lifecycle for ActivityStatus {
    fn next(self) -> &'static [ActivityStatus] {
        use ActivityStatus::*;
        match self {
            Planned => &[InProgress, Completed, Cancelled],
            InProgress => &[Completed, Cancelled],
            Completed | Cancelled => &[],
        }
    }
}

domain_enum! {
    /// What statistics are compared with: the `previous_period` of the same length just before
    /// (the year, quarter or month before a named period), or the same days a year earlier
    /// (`previous_year`).
    ComparisonBasis { PreviousPeriod, PreviousYear }
}

domain_enum! {
    /// How often a cluster holds its briefings (giao ban).
    BriefingCadence { Monthly, Quarterly }
}

impl BriefingCadence {
    /// The months between two briefings.
    pub fn months(self) -> u32 {
        match self {
            BriefingCadence::Monthly => 1,
            BriefingCadence::Quarterly => 3,
        }
    }
}

domain_enum! {
    /// The kind of a meeting: a periodic `briefing` (giao ban), an `interim_review` (sơ kết), an
    /// `annual_review` (tổng kết), or the `signing_ceremony` of a regulation.
    MeetingKind { Briefing, InterimReview, AnnualReview, SigningCeremony }
}

domain_enum! {
    /// Where an action item is: `open` until it is `done`, or `dropped` when it is no longer
    /// pursued.
    ActionItemStatus { Open, Done, Dropped }
}

impl Lifecycle for ActionItemStatus {
    fn next(self) -> &'static [ActionItemStatus] {
        use ActionItemStatus::*;
        match self {
            Open => &[Done, Dropped],
            Done | Dropped => &[],
        }
    }
}

impl AreaLevel {
    /// The levels an area of this level may sit directly under. Communes sit under a district, or
    /// directly under a province in the two-tier system in force since 2025.
    pub fn allowed_parents(self) -> &'static [AreaLevel] {
        match self {
            AreaLevel::Province => &[],
            AreaLevel::District => &[AreaLevel::Province],
            AreaLevel::Commune => &[AreaLevel::District, AreaLevel::Province],
        }
    }
}

/// A status with a life cycle: which statuses each one may move to.
pub trait Lifecycle: Sized + Copy + PartialEq + AsRef<str> + 'static {
    /// The statuses this one may move to.
    fn next(self) -> &'static [Self];

    /// Checks a change of status in an update, where staying put is always allowed. A refused
    /// move is a 409 naming the moves that are allowed.
    fn check_move(self, to: Self, noun: Noun) -> ApiResult<()> {
        if self == to {
            return Ok(());
        }
        self.check_step(to, noun)
    }

    /// Checks one step of a workflow: `to` must be one of the next statuses.
    fn check_step(self, to: Self, noun: Noun) -> ApiResult<()> {
        if self.next().contains(&to) {
            return Ok(());
        }
        let allowed: Vec<&str> = self.next().iter().map(AsRef::as_ref).collect();
        let allowed = if allowed.is_empty() {
            "none".to_owned()
        } else {
            allowed.join(", ")
        };
        let (from, to) = (self.as_ref().to_owned(), to.as_ref().to_owned());
        let (en, vi) = (noun.en, capitalize(noun.vi));
        let article = if en.starts_with(['a', 'e', 'i', 'o', 'u']) { "An" } else { "A" };
        Err(ApiError::conflict_on(
            "status",
            text!(
                en: "{article} {en} in status {from} cannot move to {to}; allowed: {allowed}.",
                vi: "{vi} ở trạng thái {from} không thể chuyển sang {to}; được phép: {allowed}."
            ),
        ))
    }
}

impl Lifecycle for ClusterStatus {
    fn next(self) -> &'static [ClusterStatus] {
        use ClusterStatus::*;
        match self {
            Forming => &[Active, Dissolved],
            Active => &[Suspended, Dissolved],
            Suspended => &[Active, Dissolved],
            Dissolved => &[],
        }
    }
}

impl Lifecycle for RegulationStatus {
    fn next(self) -> &'static [RegulationStatus] {
        use RegulationStatus::*;
        match self {
            Draft => &[Signed, InForce, Terminated],
            Signed => &[InForce, Terminated],
            InForce => &[Superseded, Terminated],
            Superseded | Terminated => &[],
        }
    }
}

impl Lifecycle for IncidentStatus {
    fn next(self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            Reported => &[Verifying],
            Verifying => &[Verified, Unfounded],
            Verified => &[Handling],
            Handling => &[Resolved],
            Unfounded | Resolved => &[Closed],
            Closed => &[],
        }
    }
}

impl RegulationStatus {
    /// Whether the regulation has been signed (it then needs its signatories).
    pub fn is_signed(self) -> bool {
        !matches!(self, RegulationStatus::Draft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantNames;

    #[test]
    fn round_trips_through_storage_and_json() {
        assert_eq!(Force::BorderGuard.stored(), "border_guard");
        assert_eq!(Force::from_stored("mass_organization").ok(), Some(Force::MassOrganization));
        assert!(Force::from_stored("navy").is_err());
        assert_eq!(
            serde_json::to_value(ClusterKind::TriForce).ok(),
            Some(serde_json::json!("tri_force"))
        );
        assert_eq!(
            RegulationStatus::VARIANTS,
            ["draft", "signed", "in_force", "superseded", "terminated"]
        );
    }

    #[test]
    fn dates_are_strict() {
        let cases = [
            ("2025-03-01", true),
            ("1945-09-02", true),
            ("2024-02-29", true),
            ("2023-02-29", false),
            ("2025-3-1", false),
            ("+12025-03-01", false),
            ("-5000-01-01", false),
            (" 2025-03-01", false),
            ("2025-03-01T00:00:00Z", false),
            ("20250301", false),
        ];
        for (text, ok) in cases {
            assert_eq!(Date::parse(text).is_ok(), ok, "{text}");
        }
    }

    #[test]
    fn classification_is_ordered() {
        assert!(Classification::Public < Classification::Internal);
        assert!(Classification::Confidential < Classification::Secret);
    }

    #[test]
    fn statuses_move_along_their_life_cycles() {
        const NOUN: Noun = Noun {
            en: "record",
            vi: "Bản ghi",
        };
        use ClusterStatus::*;
        use RegulationStatus::*;
        let clusters = [
            (Forming, Active, true),
            (Active, Suspended, true),
            (Suspended, Active, true),
            (Active, Active, true),
            (Active, Forming, false),
            (Dissolved, Active, false),
        ];
        for (from, to, ok) in clusters {
            assert_eq!(from.check_move(to, NOUN).is_ok(), ok, "{from:?} → {to:?}");
        }
        let regulations = [
            (Draft, InForce, true),
            (Signed, InForce, true),
            (InForce, Draft, false),
            (Superseded, InForce, false),
        ];
        for (from, to, ok) in regulations {
            assert_eq!(from.check_move(to, NOUN).is_ok(), ok, "{from:?} → {to:?}");
        }
        let Err(ApiError::Conflict { detail, .. }) = InForce.check_move(Draft, NOUN) else {
            panic!("a refused move is a conflict");
        };
        assert!(detail.en.ends_with("allowed: superseded, terminated."), "{}", detail.en);
    }
}
