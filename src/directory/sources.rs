//! Gathering the dataset files (from local folders or from downloaded `.tar.gz` archives) and
//! assembling them into one [`Directory`].

use super::congress::parse_congress;
use super::divisions::{parse_jurisdiction, DivisionMap, JurisdictionFile, StateRules};
use super::openstates::{parse_person, PersonFile};
use super::sync::MAX_UNPACKED_BYTES;
use super::zips::parse_zccd;
use super::{Chamber, Dataset, Directory, DirectoryError, Legislator, Skipped};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Largest single file read: the congress JSON is ~2.5 MB and the crosswalk ~0.6 MB today.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest person or jurisdiction YAML file (they are a few kB).
const MAX_YAML_BYTES: u64 = 4 * 1024 * 1024;

/// The raw contents of the four datasets.
#[derive(Debug, Clone, Default)]
pub struct SourceFiles {
    /// `legislators-current.json`.
    pub congress: Vec<u8>,
    /// `(data/<st>/legislature/<name>.yml, contents)`.
    pub people: Vec<(String, Vec<u8>)>,
    /// `(configs/jurisdictions/<st>.yml, contents)`.
    pub jurisdictions: Vec<(String, Vec<u8>)>,
    /// `zccd.csv`.
    pub zips: Vec<u8>,
    /// Where they came from (URLs or paths), recorded with the sync.
    pub source: String,
}

impl SourceFiles {
    /// The four datasets, with `source` recorded as "`how`: <where each came from>", `origins`
    /// in the order of the fields.
    pub(crate) fn new(
        congress: Vec<u8>,
        people: Vec<(String, Vec<u8>)>,
        jurisdictions: Vec<(String, Vec<u8>)>,
        zips: Vec<u8>,
        how: &str,
        origins: [String; 4],
    ) -> SourceFiles {
        SourceFiles {
            congress,
            people,
            jurisdictions,
            zips,
            source: format!("{how}: {}", origins.join(", ")),
        }
    }
}

/// Local copies for `advocate directory import`.
#[derive(Debug, Clone)]
pub struct LocalPaths {
    /// `legislators-current.json`.
    pub congress: PathBuf,
    /// A folder holding `data/<st>/legislature/*.yml`, or that `data` folder itself.
    pub openstates: PathBuf,
    /// A folder holding `configs/jurisdictions/*.yml`, or the `jurisdictions` folder itself.
    pub districts: PathBuf,
    /// `zccd.csv`.
    pub zips: PathBuf,
}

fn read_capped(dataset: Dataset, path: &Path, cap: u64) -> Result<Vec<u8>, DirectoryError> {
    let file = std::fs::File::open(path).map_err(|e| {
        DirectoryError::source(dataset, format!("cannot open {}: {e}", path.display()))
    })?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).map_err(|e| {
        DirectoryError::source(dataset, format!("cannot read {}: {e}", path.display()))
    })?;
    if bytes.len() as u64 > cap {
        return Err(DirectoryError::source(
            dataset,
            format!("{} is larger than {cap} bytes", path.display()),
        ));
    }
    Ok(bytes)
}

/// Sorted names of the entries of a folder, with their paths.
fn list(dataset: Dataset, dir: &Path) -> Result<Vec<(String, PathBuf)>, DirectoryError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        DirectoryError::source(dataset, format!("cannot list {}: {e}", dir.display()))
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            DirectoryError::source(dataset, format!("cannot list {}: {e}", dir.display()))
        })?;
        if let Some(name) = entry.file_name().to_str() {
            out.push((name.to_string(), entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Appends every `*.yml` file of `dir` to `out`, named `<prefix>/<file name>`.
fn read_yml_files(
    dataset: Dataset,
    dir: &Path,
    prefix: &str,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), DirectoryError> {
    for (name, path) in list(dataset, dir)? {
        if name.ends_with(".yml") && path.is_file() {
            let bytes = read_capped(dataset, &path, MAX_YAML_BYTES)?;
            out.push((format!("{prefix}/{name}"), bytes));
        }
    }
    Ok(())
}

/// Reads the four datasets from local copies.
pub fn read_local(paths: &LocalPaths) -> Result<SourceFiles, DirectoryError> {
    let congress = read_capped(Dataset::Congress, &paths.congress, MAX_FILE_BYTES)?;
    let zips = read_capped(Dataset::Zips, &paths.zips, MAX_FILE_BYTES)?;

    let data = if paths.openstates.join("data").is_dir() {
        paths.openstates.join("data")
    } else {
        paths.openstates.clone()
    };
    let mut people = Vec::new();
    for (state, dir) in list(Dataset::OpenStatesPeople, &data)? {
        let legislature = dir.join("legislature");
        if !legislature.is_dir() {
            continue;
        }
        let prefix = format!("data/{state}/legislature");
        read_yml_files(
            Dataset::OpenStatesPeople,
            &legislature,
            &prefix,
            &mut people,
        )?;
    }
    if people.is_empty() {
        return Err(DirectoryError::source(
            Dataset::OpenStatesPeople,
            format!("no <st>/legislature/*.yml files under {}", data.display()),
        ));
    }

    let configs = [
        paths.districts.join("configs").join("jurisdictions"),
        paths.districts.join("jurisdictions"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
    .unwrap_or_else(|| paths.districts.clone());
    let mut jurisdictions = Vec::new();
    let prefix = "configs/jurisdictions";
    read_yml_files(Dataset::OpenStatesGeo, &configs, prefix, &mut jurisdictions)?;
    if jurisdictions.is_empty() {
        return Err(DirectoryError::source(
            Dataset::OpenStatesGeo,
            format!("no *.yml files in {}", configs.display()),
        ));
    }

    let origins = [&paths.congress, &data, &configs, &paths.zips].map(|p| p.display().to_string());
    Ok(SourceFiles::new(
        congress,
        people,
        jurisdictions,
        zips,
        "import",
        origins,
    ))
}

/// Fails a read once more than `left` bytes have come through: a small archive must not
/// unpack into an unbounded amount of data.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "it unpacks to more than {MAX_UNPACKED_BYTES} bytes"
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads the files of a `.tar.gz` that `select` picks, by their path inside the archive with
/// the top-level folder removed (GitHub archives hold one, `people-main/`); archives without
/// one work too. Nothing is written to disk. Entries with absolute paths or `..` make the
/// whole archive refused, and the gzip stream is read to its end so that a truncated
/// download is an error, not a silently smaller directory.
fn extract(
    dataset: Dataset,
    bytes: &[u8],
    select: impl Fn(&[&str]) -> Option<String>,
) -> Result<Vec<(String, Vec<u8>)>, DirectoryError> {
    let damaged = |e: std::io::Error| {
        DirectoryError::source(dataset, format!("the archive is damaged or truncated: {e}"))
    };
    let reader = Capped {
        inner: flate2::read::GzDecoder::new(bytes),
        left: MAX_UNPACKED_BYTES,
    };
    let mut archive = tar::Archive::new(reader);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let path = entry.path().map_err(damaged)?.into_owned();
        if path.is_absolute()
            || path.components().any(|c| {
                matches!(
                    c,
                    Component::ParentDir | Component::RootDir | Component::Prefix(_)
                )
            })
        {
            return Err(DirectoryError::source(
                dataset,
                format!(
                    "the archive holds an unsafe path `{}`; refused",
                    path.display()
                ),
            ));
        }
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let parts: Vec<&str> = path
            .components()
            .filter_map(|c| match c {
                Component::Normal(p) => p.to_str(),
                _ => None,
            })
            .collect();
        let picked = parts.get(1..).and_then(&select).or_else(|| select(&parts));
        let Some(name) = picked else { continue };
        if entry.size() > MAX_YAML_BYTES {
            return Err(DirectoryError::source(
                dataset,
                format!("{name} in the archive is larger than {MAX_YAML_BYTES} bytes"),
            ));
        }
        let mut contents = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut contents).map_err(damaged)?;
        files.push((name, contents));
    }
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(damaged)?;
    files.sort();
    Ok(files)
}

/// The person files of an openstates/people archive: `data/<st>/legislature/*.yml`.
pub fn people_from_archive(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, DirectoryError> {
    let files = extract(Dataset::OpenStatesPeople, bytes, |parts| match parts {
        ["data", state, "legislature", name] if name.ends_with(".yml") => {
            Some(format!("data/{state}/legislature/{name}"))
        }
        _ => None,
    })?;
    if files.is_empty() {
        return Err(DirectoryError::source(
            Dataset::OpenStatesPeople,
            "the archive holds no data/<st>/legislature/*.yml files",
        ));
    }
    Ok(files)
}

/// The jurisdiction configs of an openstates-geo archive: `configs/jurisdictions/*.yml`.
pub fn jurisdictions_from_archive(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, DirectoryError> {
    let files = extract(Dataset::OpenStatesGeo, bytes, |parts| match parts {
        ["configs", "jurisdictions", name] if name.ends_with(".yml") => {
            Some(format!("configs/jurisdictions/{name}"))
        }
        _ => None,
    })?;
    if files.is_empty() {
        return Err(DirectoryError::source(
            Dataset::OpenStatesGeo,
            "the archive holds no configs/jurisdictions/*.yml files",
        ));
    }
    Ok(files)
}

fn utf8<'a>(dataset: Dataset, file: &str, bytes: &'a [u8]) -> Result<&'a str, DirectoryError> {
    std::str::from_utf8(bytes)
        .map_err(|e| DirectoryError::parse(dataset, file, format!("not UTF-8 text: {e}")))
}

/// Parses everything and assembles the directory; `today` decides which state-legislature
/// roles are current. Any malformed file fails the whole build (nothing is half-imported);
/// records that are merely out of scope (territories, former members) are counted as skipped.
pub fn build_directory(
    files: &SourceFiles,
    synced_at: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Directory, DirectoryError> {
    const CONGRESS_FILE: &str = "legislators-current.json";
    const ZIPS_FILE: &str = "zccd.csv";
    // PostgreSQL keeps microseconds: stamp what every database reads back unchanged.
    let synced_at = synced_at.trunc_subsecs(6);
    let mut skipped = Vec::new();

    let (mut legislators, congress_skipped) = parse_congress(
        CONGRESS_FILE,
        utf8(Dataset::Congress, CONGRESS_FILE, &files.congress)?,
        synced_at,
    )?;
    skipped.extend(congress_skipped);
    if legislators.is_empty() {
        return Err(DirectoryError::source(
            Dataset::Congress,
            format!("{CONGRESS_FILE} holds no members of Congress"),
        ));
    }

    let mut rules: BTreeMap<crate::domain::StateCode, StateRules> = BTreeMap::new();
    for (file, bytes) in &files.jurisdictions {
        match parse_jurisdiction(file, utf8(Dataset::OpenStatesGeo, file, bytes)?)? {
            JurisdictionFile::State(r) => {
                if rules.contains_key(&r.state) {
                    return Err(DirectoryError::parse(
                        Dataset::OpenStatesGeo,
                        file.as_str(),
                        format!("a second config for {}", r.state),
                    ));
                }
                rules.insert(r.state, r);
            }
            JurisdictionFile::Skipped(reason) => skipped.push(Skipped {
                dataset: Dataset::OpenStatesGeo,
                record: file.clone(),
                reason,
            }),
        }
    }
    if rules.is_empty() {
        return Err(DirectoryError::source(
            Dataset::OpenStatesGeo,
            "no state has district rules",
        ));
    }
    let rules: Vec<StateRules> = rules.into_values().collect();
    let map = DivisionMap::new(rules.clone())
        .map_err(|e| DirectoryError::source(Dataset::OpenStatesGeo, e))?;

    let first_state_legislator = legislators.len();
    for (file, bytes) in &files.people {
        let text = utf8(Dataset::OpenStatesPeople, file, bytes)?;
        match parse_person(file, text, today, synced_at)? {
            PersonFile::Legislator(l) => legislators.push(*l),
            PersonFile::Skipped(reason) => skipped.push(Skipped {
                dataset: Dataset::OpenStatesPeople,
                record: file.clone(),
                reason,
            }),
        }
    }
    if legislators.len() == first_state_legislator {
        return Err(DirectoryError::source(
            Dataset::OpenStatesPeople,
            "no file holds a current state legislator",
        ));
    }

    let (zips, zip_skipped) = parse_zccd(ZIPS_FILE, utf8(Dataset::Zips, ZIPS_FILE, &files.zips)?)?;
    skipped.extend(zip_skipped);
    if zips.is_empty() {
        return Err(DirectoryError::source(
            Dataset::Zips,
            format!("{ZIPS_FILE} holds no ZIP codes of a state"),
        ));
    }

    // One record per id: a person listed twice upstream keeps the first file's record.
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(legislators.len());
    for l in legislators {
        if seen.insert(l.id.clone()) {
            unique.push(l);
        } else {
            skipped.push(Skipped {
                dataset: if l.chamber.is_federal() {
                    Dataset::Congress
                } else {
                    Dataset::OpenStatesPeople
                },
                record: l.source.clone(),
                reason: format!("{} appears twice", l.id),
            });
        }
    }
    let mut legislators = unique;
    let (aligned, unmapped) = align_with_map(&mut legislators, &map);
    legislators.sort_by(|a, b| a.id.cmp(&b.id));

    Ok(Directory {
        legislators,
        rules,
        zips,
        source: files.source.clone(),
        synced_at,
        skipped,
        aligned,
        unmapped,
    })
}

/// Loose forms of a district slug: separators and punctuation folded (`chittenden-central` ~
/// `chittenden_central`), and the same with words sorted (`windham-windsor-bennington` ~
/// `windham-bennington-windsor`).
fn loose_keys(slug: &str) -> (String, String) {
    let words: Vec<String> = slug
        .split(['-', '_', ' '])
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let folded = words.join("_");
    let mut sorted = words;
    sorted.sort();
    (folded, sorted.join("_"))
}

/// Named districts are spelled by hand on both sides (openstates/people's district names,
/// openstates-geo's `custom` list), and not always alike: "Chittenden Central" is
/// `sldu:chittenden-central` in the geo list. Where a state lists a layer's districts, a
/// legislator whose division is not on the list takes the listed division it matches
/// loosely (same words; then the same words in any order) when exactly one does, so that
/// the GEOID mapper finds them. Returns how many were aligned, and the divisions of a listed
/// layer no rule produces.
fn align_with_map(legislators: &mut [Legislator], map: &DivisionMap) -> (usize, Vec<String>) {
    let mut aligned = 0;
    let mut unmapped = Vec::new();
    for l in legislators.iter_mut() {
        if !matches!(l.chamber, Chamber::StateUpper | Chamber::StateLower) {
            continue;
        }
        let Some((prefix, rest)) = l.division_id.rsplit_once('/') else {
            continue;
        };
        let Some((division_type, slug)) = rest.split_once(':') else {
            continue;
        };
        if !matches!(division_type, "sldu" | "sldl") {
            continue;
        }
        let listed = map.custom_os_ids(l.state, division_type);
        if listed.is_empty() || listed.contains(&l.division_id.as_str()) {
            continue;
        }
        let (folded, sorted) = loose_keys(slug);
        let candidates: Vec<(&str, (String, String))> = listed
            .iter()
            .filter(|id| id.starts_with(prefix))
            .filter_map(|id| {
                let (_, s) = id.rsplit_once(':')?;
                Some((*id, loose_keys(s)))
            })
            .collect();
        let by_folded: Vec<&str> = candidates
            .iter()
            .filter(|(_, k)| k.0 == folded)
            .map(|(id, _)| *id)
            .collect();
        let by_sorted: Vec<&str> = candidates
            .iter()
            .filter(|(_, k)| k.1 == sorted)
            .map(|(id, _)| *id)
            .collect();
        let pick = match (by_folded.as_slice(), by_sorted.as_slice()) {
            ([one], _) => Some(*one),
            ([], [one]) => Some(*one),
            _ => None,
        };
        match pick {
            Some(id) => {
                l.division_id = id.to_string();
                aligned += 1;
            }
            None if !map.has_regex(l.state, division_type) => {
                unmapped.push(l.division_id.clone());
            }
            None => {}
        }
    }
    unmapped.sort();
    unmapped.dedup();
    (aligned, unmapped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(tar_bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(tar_bytes).expect("gzip");
        enc.finish().expect("gzip")
    }

    /// A tar whose entry names are written raw, so that unsafe names can be tested (the tar
    /// crate's own builder refuses them).
    fn raw_tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut header = tar::Header::new_old();
            {
                let old = header.as_old_mut();
                old.name[..name.len()].copy_from_slice(name.as_bytes());
            }
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            builder.append(&header, *data).expect("append");
        }
        builder.into_inner().expect("tar")
    }

    const PERSON: &[u8] = b"id: ocd-person/1\nname: A B\nroles:\n- type: lower\n  district: '3'\n";

    #[test]
    fn github_archives_are_read_below_their_top_folder() {
        let archive = gz(&raw_tar(&[
            ("people-main/data/mo/legislature/a.yml", PERSON),
            ("people-main/data/mo/committees/c.yml", b"x"),
            ("people-main/README.md", b"x"),
        ]));
        let files = people_from_archive(&archive).expect("reads");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "data/mo/legislature/a.yml");
        let plain = gz(&raw_tar(&[("data/mo/legislature/a.yml", PERSON)]));
        assert_eq!(people_from_archive(&plain).expect("reads").len(), 1);
    }

    #[test]
    fn unsafe_paths_refuse_the_whole_archive() {
        for name in [
            "people-main/../data/mo/legislature/a.yml",
            "/data/mo/legislature/a.yml",
        ] {
            let archive = gz(&raw_tar(&[
                ("people-main/data/mo/legislature/b.yml", PERSON),
                (name, PERSON),
            ]));
            let err = people_from_archive(&archive).expect_err("refused");
            assert!(err.to_string().contains("unsafe path"), "{err}");
            assert!(err.to_string().contains("openstates/people"), "{err}");
        }
    }

    #[test]
    fn truncated_or_garbled_archives_are_refused_wherever_they_are_cut() {
        let entries: Vec<(String, Vec<u8>)> = (0..40)
            .map(|i| {
                (
                    format!("people-main/data/mo/legislature/p{i}.yml"),
                    PERSON.repeat(20),
                )
            })
            .collect();
        let refs: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let archive = gz(&raw_tar(&refs));
        assert_eq!(people_from_archive(&archive).expect("whole").len(), 40);
        for cut in (1..archive.len()).step_by(7) {
            let result = people_from_archive(&archive[..cut]);
            assert!(
                result.is_err(),
                "cut at {cut} of {} was accepted",
                archive.len()
            );
        }
        let err = people_from_archive(b"not gzip at all").expect_err("garbage");
        assert!(err.to_string().contains("damaged or truncated"), "{err}");
        let err =
            people_from_archive(&gz(&raw_tar(&[("people-main/x.txt", b"x")]))).expect_err("empty");
        assert!(
            err.to_string().contains("no data/<st>/legislature"),
            "{err}"
        );
    }

    #[test]
    fn loose_keys_fold_separators_and_word_order() {
        assert_eq!(
            loose_keys("chittenden-central").0,
            loose_keys("chittenden_central").0
        );
        assert_eq!(
            loose_keys("windham-windsor-bennington").1,
            loose_keys("windham-bennington-windsor").1
        );
        assert_ne!(loose_keys("windham-1").1, loose_keys("windham-2").1);
    }
}
