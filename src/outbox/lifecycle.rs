//! The life of a submission and its mails: what a mail is, where it is, how an attempt ended.
//!
//! The kinds and statuses are stored as TEXT (`migrations/*/0005_outbox.sql`); their one string
//! mapping is `sqlx::Type` below (snake_case, the same words the SQL of `store::outbox` uses),
//! on SQLite and PostgreSQL alike. A value the database holds that is none of them is a
//! corrupt row (`StoreError::Corrupt`), never a panic.

/// What one mail is: a confirmation to the supporter or a message to a legislator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum MailKind {
    Confirmation,
    Message,
}

impl MailKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            MailKind::Confirmation => "confirmation",
            MailKind::Message => "message",
        }
    }
}

impl std::fmt::Display for MailKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a mail is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum MailStatus {
    /// Written, waiting for the supporter's confirmation.
    Held,
    /// Due (again) at `next_attempt_at`.
    Queued,
    /// Claimed by a worker.
    Sending,
    Sent,
    Failed,
}

impl MailStatus {
    pub const ALL: [MailStatus; 5] = [
        MailStatus::Held,
        MailStatus::Queued,
        MailStatus::Sending,
        MailStatus::Sent,
        MailStatus::Failed,
    ];

    /// The stored (and serialised) name.
    pub fn as_str(&self) -> &'static str {
        match self {
            MailStatus::Held => "held",
            MailStatus::Queued => "queued",
            MailStatus::Sending => "sending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }
}

/// Why a queued mail waits past the time it was due: a delivery cap (see `outbox::caps`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, sqlx::Type,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum WaitReason {
    /// Its office has had its cap of the campaign's messages in the last hour.
    OfficeCap,
    /// The service has released its rate of mails in the last minute.
    GlobalRate,
}

impl WaitReason {
    /// The stored (and serialised) name.
    pub fn as_str(&self) -> &'static str {
        match self {
            WaitReason::OfficeCap => "office_cap",
            WaitReason::GlobalRate => "global_rate",
        }
    }

    /// For the supporter's receipt.
    pub fn label(&self) -> &'static str {
        match self {
            WaitReason::OfficeCap => "Waiting: this office's hourly limit",
            WaitReason::GlobalRate => "Waiting: the service's sending rate",
        }
    }
}

/// Where a submission is: waiting for the link in the confirmation email, or confirmed (its
/// messages queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum SubmissionStatus {
    AwaitingConfirmation,
    Confirmed,
}

/// What confirming found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// Its messages are queued now.
    Now {
        id: String,
    },
    /// Confirmed before (a second click): nothing more is queued.
    Already {
        id: String,
    },
    /// The link is older than its submission's expiry.
    Expired,
    NotFound,
}

/// How a claimed mail ended this attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Queued again for `at`, with the reason.
    Retry {
        at: i64,
        error: String,
    },
    Failed {
        error: String,
    },
}
