//! The legislator directory in the database: legislators, GEOID -> division rules, the ZIP
//! crosswalk and a record of each sync.

use super::{in_transaction, on_pool, Store, StoreError};
use crate::directory::{
    Chamber, Directory, DirectoryReport, DirectoryStatus, DivisionMap, Legislator, StateRules,
};
use crate::domain::{StateCode, Zip};
use chrono::{DateTime, Utc};

/// Rows per multi-row INSERT. SQLite allows 32,766 bound values per statement (PostgreSQL
/// 65,535): 16 columns x 1,000 and 3 columns x 5,000 stay well below both.
const LEGISLATOR_CHUNK: usize = 1_000;
const ZIP_CHUNK: usize = 5_000;
/// Ids per `IN (...)` lookup.
const LOOKUP_CHUNK: usize = 500;

const LEGISLATOR_COLUMNS: &str = "SELECT id, name, given_name, family_name, title, chamber, \
     state, district, division_id, party, email, contact_form, phone, photo_url, source, \
     synced_at FROM directory_legislators";

#[derive(sqlx::FromRow)]
struct LegislatorRow {
    id: String,
    name: String,
    given_name: String,
    family_name: String,
    title: String,
    chamber: String,
    state: String,
    district: String,
    division_id: String,
    party: Option<String>,
    email: Option<String>,
    contact_form: Option<String>,
    phone: Option<String>,
    photo_url: Option<String>,
    source: String,
    synced_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    synced_at: DateTime<Utc>,
    source: String,
    legislators: i64,
    zips: i64,
}

impl TryFrom<LegislatorRow> for Legislator {
    type Error = StoreError;

    fn try_from(r: LegislatorRow) -> Result<Self, StoreError> {
        Ok(Legislator {
            chamber: Chamber::parse(&r.chamber)
                .ok_or_else(|| StoreError::corrupt("directory_legislators.chamber", &r.chamber))?,
            state: StateCode::parse(&r.state)
                .map_err(|e| StoreError::corrupt("directory_legislators.state", e))?,
            id: r.id,
            name: r.name,
            given_name: r.given_name,
            family_name: r.family_name,
            title: r.title,
            district: r.district,
            division_id: r.division_id,
            party: r.party,
            email: r.email,
            contact_form: r.contact_form,
            phone: r.phone,
            photo_url: r.photo_url,
            source: r.source,
            synced_at: r.synced_at,
        })
    }
}

/// Numbered districts in number order ("2" before "10"), named ones after, by name.
fn district_key(district: &str) -> (u32, String) {
    let digits: String = district
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (digits.parse().unwrap_or(u32::MAX), district.to_lowercase())
}

/// Chamber order (state upper, state lower, U.S. Senate, U.S. House), then district, then name.
fn sort_legislators(list: &mut [Legislator]) {
    list.sort_by(|a, b| {
        (
            a.chamber,
            district_key(&a.district),
            &a.family_name,
            &a.name,
            &a.id,
        )
            .cmp(&(
                b.chamber,
                district_key(&b.district),
                &b.family_name,
                &b.name,
                &b.id,
            ))
    });
}

fn unique(ids: &[String]) -> Vec<&String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().filter(|id| seen.insert(id.as_str())).collect()
}

/// Rows per multi-row INSERT of changes (8 columns).
const CHANGE_CHUNK: usize = 1_000;

/// A sitting legislator's seat, as the directory held it before a replace.
#[derive(sqlx::FromRow)]
struct SeatRow {
    id: String,
    name: String,
    state: String,
    chamber: String,
    district: String,
}

/// One change a replace makes, as `directory_changes` stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SeatChange {
    kind: &'static str,
    id: String,
    name: String,
    state: String,
    chamber: String,
    old_district: Option<String>,
    new_district: Option<String>,
}

/// Who was added, who left and who moved (another district, chamber or state) between the
/// directory `before` and `after`, in id order. Nothing when `before` is empty: a first load is
/// not a change.
fn seat_changes(before: &[SeatRow], after: &[Legislator]) -> Vec<SeatChange> {
    if before.is_empty() {
        return Vec::new();
    }
    let old: std::collections::BTreeMap<&str, &SeatRow> =
        before.iter().map(|r| (r.id.as_str(), r)).collect();
    let new: std::collections::BTreeMap<&str, &Legislator> =
        after.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut out = Vec::new();
    for (id, l) in &new {
        let change = |kind, old_district: Option<String>| SeatChange {
            kind,
            id: id.to_string(),
            name: l.name.clone(),
            state: l.state.as_str().to_string(),
            chamber: l.chamber.as_str().to_string(),
            old_district,
            new_district: Some(l.district.clone()),
        };
        match old.get(id) {
            None => out.push(change("added", None)),
            Some(was)
                if was.district != l.district
                    || was.chamber != l.chamber.as_str()
                    || was.state != l.state.as_str() =>
            {
                out.push(change("moved", Some(was.district.clone())))
            }
            Some(_) => {}
        }
    }
    for (id, was) in &old {
        if !new.contains_key(id) {
            out.push(SeatChange {
                kind: "left",
                id: id.to_string(),
                name: was.name.clone(),
                state: was.state.clone(),
                chamber: was.chamber.clone(),
                old_district: Some(was.district.clone()),
                new_district: None,
            });
        }
    }
    out
}

impl Store {
    /// Replaces the whole directory (legislators, division rules, ZIP rows) and records the
    /// sync and what it changed (`directory_changes`: people added, people who left, seats
    /// moved), in one transaction: when anything fails, the previous directory stays intact.
    pub async fn replace_directory(
        &self,
        directory: &Directory,
    ) -> Result<DirectoryReport, StoreError> {
        let report = directory.report();
        let report_json = serde_json::to_string(&report)
            .map_err(|e| StoreError::Invalid(format!("directory report: {e}")))?;
        let rules: Vec<(&str, String)> = directory
            .rules
            .iter()
            .map(|r| {
                serde_json::to_string(r)
                    .map(|json| (r.state.as_str(), json))
                    .map_err(|e| StoreError::Invalid(format!("district rules: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let started = std::time::Instant::now();
        let synced_at = directory.synced_at.timestamp();
        let changes = in_transaction!(self, tx => {
            let before: Vec<SeatRow> = sqlx::query_as(
                "SELECT id, name, state, chamber, district FROM directory_legislators",
            )
            .fetch_all(&mut *tx)
            .await?;
            let changes = seat_changes(&before, &directory.legislators);
            for chunk in changes.chunks(CHANGE_CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO directory_changes (synced_at, kind, legislator_id, name, state, \
                     chamber, old_district, new_district) ",
                );
                insert.push_values(chunk, |mut row, c| {
                    row.push_bind(synced_at)
                        .push_bind(c.kind)
                        .push_bind(&c.id)
                        .push_bind(&c.name)
                        .push_bind(&c.state)
                        .push_bind(&c.chamber)
                        .push_bind(&c.old_district)
                        .push_bind(&c.new_district);
                });
                insert.build().execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM directory_legislators").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM directory_division_rules").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM directory_zips").execute(&mut *tx).await?;
            for chunk in directory.legislators.chunks(LEGISLATOR_CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO directory_legislators (id, name, given_name, family_name, title, \
                     chamber, state, district, division_id, party, email, contact_form, phone, \
                     photo_url, source, synced_at) ",
                );
                insert.push_values(chunk, |mut row, l| {
                    row.push_bind(&l.id)
                        .push_bind(&l.name)
                        .push_bind(&l.given_name)
                        .push_bind(&l.family_name)
                        .push_bind(&l.title)
                        .push_bind(l.chamber.as_str())
                        .push_bind(l.state.as_str())
                        .push_bind(&l.district)
                        .push_bind(&l.division_id)
                        .push_bind(&l.party)
                        .push_bind(&l.email)
                        .push_bind(&l.contact_form)
                        .push_bind(&l.phone)
                        .push_bind(&l.photo_url)
                        .push_bind(&l.source)
                        .push_bind(l.synced_at);
                });
                insert.build().execute(&mut *tx).await?;
            }
            for (state, json) in &rules {
                sqlx::query("INSERT INTO directory_division_rules (state, rules) VALUES ($1, $2)")
                    .bind(*state)
                    .bind(json)
                    .execute(&mut *tx)
                    .await?;
            }
            for chunk in directory.zips.chunks(ZIP_CHUNK) {
                let mut insert =
                    sqlx::QueryBuilder::new("INSERT INTO directory_zips (zip, state, cd) ");
                insert.push_values(chunk, |mut row, z| {
                    row.push_bind(&z.zip)
                        .push_bind(z.state.as_str())
                        .push_bind(i32::try_from(z.cd).unwrap_or(i32::MAX));
                });
                insert.build().execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO directory_syncs (synced_at, source, legislators, zips, report) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(directory.synced_at)
            .bind(&directory.source)
            .bind(directory.legislators.len() as i64)
            .bind(directory.zips.len() as i64)
            .bind(&report_json)
            .execute(&mut *tx)
            .await?;
            Ok(changes)
        })?;
        tracing::info!(
            legislators = report.legislators,
            zips = report.zip_rows,
            changes = changes.len(),
            ms = started.elapsed().as_millis() as u64,
            "directory replaced"
        );
        Ok(report)
    }

    /// The legislators sitting for any of these divisions (e.g. a lookup's districts plus the
    /// state division for U.S. senators), ordered state upper, state lower, U.S. Senate,
    /// U.S. House, then by district and name.
    pub async fn legislators_in_divisions(
        &self,
        division_ids: &[String],
    ) -> Result<Vec<Legislator>, StoreError> {
        let mut out = self
            .legislators_where_in("division_id", division_ids)
            .await?;
        sort_legislators(&mut out);
        Ok(out)
    }

    /// A state's legislators, all or one chamber's, in the order of
    /// [`Store::legislators_in_divisions`].
    pub async fn legislators_of_state(
        &self,
        state: StateCode,
        chamber: Option<Chamber>,
    ) -> Result<Vec<Legislator>, StoreError> {
        let rows: Vec<LegislatorRow> = on_pool!(self, pool => {
            match chamber {
                Some(chamber) => {
                    let sql = format!("{LEGISLATOR_COLUMNS} WHERE state = $1 AND chamber = $2");
                    sqlx::query_as(&sql)
                        .bind(state.as_str())
                        .bind(chamber.as_str())
                        .fetch_all(pool)
                        .await?
                }
                None => {
                    let sql = format!("{LEGISLATOR_COLUMNS} WHERE state = $1");
                    sqlx::query_as(&sql).bind(state.as_str()).fetch_all(pool).await?
                }
            }
        });
        let mut out = rows
            .into_iter()
            .map(Legislator::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        sort_legislators(&mut out);
        Ok(out)
    }

    /// The legislators with these ids, in the order asked (unknown ids are left out, repeats
    /// given once).
    pub async fn legislators_by_ids(&self, ids: &[String]) -> Result<Vec<Legislator>, StoreError> {
        let mut found: std::collections::HashMap<String, Legislator> = self
            .legislators_where_in("id", ids)
            .await?
            .into_iter()
            .map(|l| (l.id.clone(), l))
            .collect();
        // A repeated id finds nothing the second time: it was removed the first.
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// The legislators whose `column` (a constant, never input) holds one of `values`, in no
    /// particular order; each value is asked once, [`LOOKUP_CHUNK`] at a time.
    async fn legislators_where_in(
        &self,
        column: &'static str,
        values: &[String],
    ) -> Result<Vec<Legislator>, StoreError> {
        let values = unique(values);
        let mut out = Vec::new();
        for chunk in values.chunks(LOOKUP_CHUNK) {
            let rows: Vec<LegislatorRow> = on_pool!(self, pool => {
                let mut select = sqlx::QueryBuilder::new(LEGISLATOR_COLUMNS);
                select.push(" WHERE ").push(column).push(" IN (");
                let mut list = select.separated(", ");
                for value in chunk {
                    list.push_bind(*value);
                }
                list.push_unseparated(")");
                select.build_query_as().fetch_all(pool).await?
            });
            for row in rows {
                out.push(Legislator::try_from(row)?);
            }
        }
        Ok(out)
    }

    /// The congressional districts a ZIP code overlaps, by state and district number
    /// (0 = at-large, and DC's delegate). Several rows mean a split ZIP; none, an unknown one.
    pub async fn zip_districts(&self, zip: &Zip) -> Result<Vec<(StateCode, u32)>, StoreError> {
        let rows: Vec<(String, i32)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT state, cd FROM directory_zips WHERE zip = $1 ORDER BY state, cd")
                .bind(zip.as_str())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(state, cd)| {
                Ok((
                    StateCode::parse(&state)
                        .map_err(|e| StoreError::corrupt("directory_zips.state", e))?,
                    u32::try_from(cd).map_err(|e| StoreError::corrupt("directory_zips.cd", e))?,
                ))
            })
            .collect()
    }

    /// Every state's GEOID -> division rules, compiled. Empty before the first sync. Load it
    /// once and keep it (it compiles a few hundred small regexes).
    pub async fn division_map(&self) -> Result<DivisionMap, StoreError> {
        let rows: Vec<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT rules FROM directory_division_rules ORDER BY state")
                .fetch_all(pool)
                .await?
        });
        let rules = rows
            .into_iter()
            .map(|(json,)| serde_json::from_str::<StateRules>(&json))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::corrupt("directory_division_rules.rules", e))?;
        DivisionMap::new(rules)
            .map_err(|e| StoreError::corrupt("directory_division_rules.rules", e))
    }

    /// The last successful import or sync, or `None` before the first.
    pub async fn directory_status(&self) -> Result<Option<DirectoryStatus>, StoreError> {
        let row: Option<StatusRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT synced_at, source, legislators, zips FROM directory_syncs \
                 ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|r| DirectoryStatus {
            synced_at: r.synced_at,
            source: r.source,
            legislators: u64::try_from(r.legislators).unwrap_or(0),
            zips: u64::try_from(r.zips).unwrap_or(0),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::{district_key, seat_changes, SeatRow};
    use crate::directory::{Chamber, Legislator};
    use crate::domain::StateCode;

    fn seat(id: &str, district: &str) -> SeatRow {
        SeatRow {
            id: id.into(),
            name: format!("Name {id}"),
            state: "MA".into(),
            chamber: "us_house".into(),
            district: district.into(),
        }
    }

    fn sitting(id: &str, district: &str, chamber: Chamber) -> Legislator {
        Legislator {
            id: id.into(),
            name: format!("Name {id}"),
            given_name: "Name".into(),
            family_name: id.into(),
            title: "U.S. Representative".into(),
            chamber,
            state: StateCode::parse("MA").expect("MA"),
            district: district.into(),
            division_id: format!("ocd-division/country:us/state:ma/cd:{district}"),
            party: None,
            email: None,
            contact_form: None,
            phone: None,
            photo_url: None,
            source: "test".into(),
            synced_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_replace_records_who_was_added_who_left_and_who_moved_and_a_first_load_nothing() {
        let after = vec![
            sitting("a", "1", Chamber::UsHouse),
            sitting("b", "3", Chamber::UsHouse),
            sitting("c", "4", Chamber::UsHouse),
            sitting("e", "5", Chamber::StateLower),
        ];
        assert!(seat_changes(&[], &after).is_empty());
        let before = vec![
            seat("a", "1"),
            seat("b", "2"),
            seat("d", "7"),
            seat("e", "5"),
        ];
        let found = seat_changes(&before, &after);
        let changes: Vec<(&str, &str, Option<&str>, Option<&str>)> = found
            .iter()
            .map(|c| {
                (
                    c.kind,
                    c.id.as_str(),
                    c.old_district.as_deref(),
                    c.new_district.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            changes,
            vec![
                ("moved", "b", Some("2"), Some("3")),
                ("added", "c", None, Some("4")),
                ("moved", "e", Some("5"), Some("5")),
                ("left", "d", Some("7"), None),
            ]
        );
    }

    #[test]
    fn districts_sort_by_number_then_name() {
        let mut d = vec!["10", "2", "At-large", "1A", "7th Hampden", "Hampden"];
        d.sort_by_key(|x| district_key(x));
        assert_eq!(
            d,
            vec!["1A", "2", "7th Hampden", "10", "At-large", "Hampden"]
        );
    }
}
