//! The `[[zone]]` tables: each zone daned serves, how it is signed, who may transfer it and
//! whom it notifies.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use zones::Name;
use zones::serial::SerialPolicy;

use crate::config::Invalid;
use crate::config::choice::SerialPolicyChoice;
use crate::config::dkim::{RawDkim, parse_dkim};
use crate::config::duration::parse_duration;
use crate::config::mail::{RawMtaSts, RawTlsRpt, TlsRptConfig, parse_mta_sts, parse_tls_rpt};
use crate::config::policy::Policy;
use crate::config::tlsa::{RawTlsa, parse_tlsa};
use crate::config::update::{RawGrant, parse_grant};
use crate::daemon::signing::ZoneSigning;
use crate::daemon::tlsa::publish::TlsaBinding;
use crate::net::acl::{Acl, AclError};
use crate::net::tsig::TsigKey;
use crate::update::grant::UpdateGrant;

//------------ ZoneConfig -----------------------------------------------------

/// One `[[zone]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneConfig {
    /// The apex, fully qualified.
    pub name: Name,
    /// The master file (resolved).
    pub file: PathBuf,
    /// Who may AXFR the zone.
    pub allow_transfer: Arc<Acl>,
    /// Whether the zone is signed (the default; `sign = false` opts out).
    pub sign: bool,
    /// Name of the `[policy.NAME]` to sign with.
    pub policy: Option<String>,
    /// How to sign it, when `sign` is set: the checked policy and where the keys live.
    pub signing: Option<Arc<ZoneSigning>>,
    /// How the SOA serial moves on each change.
    pub serial_policy: SerialPolicy,
    /// Secondaries sent a NOTIFY (RFC 1996) on every serial change; a rollover step that
    /// needs them to serve the new serial waits for these.
    pub notify: Vec<NotifyTarget>,
    /// The parent's nameservers, asked for the zone's DS during KSK and CSK rollovers.
    pub parent_servers: Vec<SocketAddr>,
    /// How often they are asked.
    pub ds_check_interval: Duration,
    /// TLSA records derived from certificate files (`[[zone.tlsa]]`).
    pub tlsa: Vec<TlsaBinding>,
    /// DKIM keys published from key files (`[[zone.dkim]]`).
    pub dkim: Vec<crate::mailrec::dkim::DkimBinding>,
    /// The MTA-STS id from the policy file (`[zone.mta_sts]`).
    pub mta_sts: Option<Box<crate::mailrec::mta_sts::source::MtaStsConfig>>,
    /// The TLS-RPT record (`[zone.tls_rpt]`).
    pub tls_rpt: Option<TlsRptConfig>,
    /// The `group` property of the zone's entry in the catalog zone (RFC 9432 4.4.2).
    pub catalog_group: Option<String>,
    /// Who may change what with DNS UPDATE (`[[zone.update]]`); empty: nobody.
    pub update: Vec<UpdateGrant>,
}

impl ZoneConfig {
    /// The zone `name` from `file` with every setting an empty `[[zone]]` table gives (unsigned,
    /// no transfers, no NOTIFY, nothing managed): what code that builds a zone (the fixture,
    /// tests) starts from, so that a key added to `[[zone]]` is not a change to every caller.
    pub fn new(name: Name, file: PathBuf) -> Self {
        Self {
            name,
            file,
            allow_transfer: Arc::default(),
            sign: false,
            policy: None,
            signing: None,
            serial_policy: Default::default(),
            notify: Vec::new(),
            parent_servers: Vec::new(),
            ds_check_interval: DEFAULT_DS_CHECK_INTERVAL,
            tlsa: Vec::new(),
            dkim: Vec::new(),
            mta_sts: None,
            tls_rpt: None,
            catalog_group: None,
            update: Vec::new(),
        }
    }
}

/// One `notify` entry: where, and with which TSIG key (if any) the NOTIFY is signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyTarget {
    /// Address and port.
    pub addr: SocketAddr,
    /// Name of the `[[tsig_key]]` that signs it.
    pub key: Option<String>,
}

//------------ RawZone --------------------------------------------------------

/// `[[zone]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawZone {
    /// Apex.
    name: String,
    /// Master file.
    file: PathBuf,
    /// Transfer ACL entries.
    #[serde(default)]
    allow_transfer: Vec<String>,
    /// Sign the zone (default true).
    #[serde(default = "default_true")]
    sign: bool,
    /// Policy name.
    policy: Option<String>,
    /// "increment" (default), "unixtime" or "dateserial".
    #[serde(default)]
    serial_policy: SerialPolicyChoice,
    /// NOTIFY targets, "ADDRESS[:PORT] [key:NAME]" (port 53 when left out).
    #[serde(default)]
    notify: Vec<String>,
    /// The parent zone's nameservers, "ADDRESS[:PORT]", asked for the zone's DS during a KSK
    /// or CSK rollover.
    #[serde(default)]
    parent_servers: Vec<String>,
    /// How often they are asked (default 1h).
    ds_check_interval: Option<String>,
    /// `[[zone.tlsa]]`: TLSA records daned derives from certificate files.
    #[serde(default)]
    tlsa: Vec<RawTlsa>,
    /// `[[zone.update]]`: DNS UPDATE grants.
    #[serde(default)]
    update: Vec<RawGrant>,
    /// `[[zone.dkim]]`: DKIM keys daned publishes from key files.
    #[serde(default)]
    dkim: Vec<RawDkim>,
    /// `[zone.mta_sts]`: the MTA-STS id from the policy file.
    mta_sts: Option<RawMtaSts>,
    /// `[zone.tls_rpt]`: the TLS-RPT record.
    tls_rpt: Option<RawTlsRpt>,
    /// The group of the zone in the catalog zone.
    catalog_group: Option<String>,
}

impl RawZone {
    /// The apex as written.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The apex as a name, if it reads as one.
    pub(super) fn apex(&self) -> Option<Name> {
        Name::from_ascii(&self.name).ok().map(|mut n| {
            n.set_fqdn(true);
            n
        })
    }
}

/// The zones configured so far, by name (case-insensitive): which position each has. Ten
/// thousand zones from a folder are checked against each other by hashing, not pairwise.
#[derive(Default)]
pub(super) struct ZoneNames(HashMap<String, usize>);

impl ZoneNames {
    /// The names of `zones`.
    pub(super) fn of(zones: &[ZoneConfig]) -> Self {
        let mut names = Self::default();
        for (i, z) in zones.iter().enumerate() {
            names.insert(&z.name, i);
        }
        names
    }

    /// The key of `name`: lowercase, absolute.
    fn key(name: &Name) -> String {
        let mut key = name.to_lowercase().to_ascii();
        if !key.ends_with('.') {
            key.push('.');
        }
        key
    }

    /// Records that zone `name` is at position `at`.
    pub(super) fn insert(&mut self, name: &Name, at: usize) {
        self.0.insert(Self::key(name), at);
    }

    /// The position of zone `name`, if configured.
    pub(super) fn get(&self, name: &Name) -> Option<usize> {
        self.0.get(&Self::key(name)).copied()
    }
}

/// Zones are signed unless they opt out.
fn default_true() -> bool {
    true
}

/// How often the parent's nameservers are asked when `ds_check_interval` is left out.
const DEFAULT_DS_CHECK_INTERVAL: Duration = Duration::from_secs(3600);

//------------ parse_zone -----------------------------------------------------

/// What a `[[zone]]` refers to elsewhere in the configuration.
pub(super) struct ZoneContext<'a> {
    /// The configuration file's folder.
    pub base: &'a Path,
    /// `[server] state_dir`, resolved.
    pub state_dir: &'a Path,
    /// Every `[policy.NAME]`, checked.
    pub policies: &'a BTreeMap<String, Policy>,
    /// Every `[[tsig_key]]`.
    pub tsig_keys: &'a [TsigKey],
    /// How zones are signed, by policy name: one copy that every zone of a policy shares
    /// (a hoster's thousands of zones would otherwise each hold the whole policy).
    pub signings: RefCell<HashMap<String, Arc<ZoneSigning>>>,
}

impl ZoneContext<'_> {
    /// How a zone of `policy_name` is signed: the `[policy.NAME]`, or the built-in policy
    /// for an unconfigured "default".
    fn signing(&self, policy_name: &str) -> Arc<ZoneSigning> {
        let mut signings = self.signings.borrow_mut();
        let how = signings.entry(policy_name.to_owned()).or_insert_with(|| {
            Arc::new(ZoneSigning {
                policy: self
                    .policies
                    .get(policy_name)
                    .cloned()
                    .unwrap_or_else(Policy::builtin),
                policy_name: policy_name.to_owned(),
                state_dir: self.state_dir.to_owned(),
            })
        });
        Arc::clone(how)
    }

    /// Whether a `[[tsig_key]]` is called `name`.
    fn knows_key(&self, name: &str) -> bool {
        self.tsig_keys
            .iter()
            .any(|k| k.name.eq_ignore_ascii_case(name))
    }
}

/// Checks one `[[zone]]` and its `[[zone.tlsa]]` tables; `earlier` are the zones before it
/// in the file, which it must not repeat.
pub(super) fn parse_zone(
    raw: &RawZone,
    earlier: &ZoneNames,
    ctx: &ZoneContext<'_>,
) -> Result<ZoneConfig, Invalid> {
    let what = format!("zone {:?}", raw.name);
    let mut name =
        Name::from_ascii(&raw.name).map_err(|e| Invalid::new(&what, format!("bad name: {e}")))?;
    name.set_fqdn(true);
    if earlier.get(&name).is_some() {
        return Err(Invalid::new(&what, "zone listed twice"));
    }
    let allow_transfer = Acl::parse(&raw.allow_transfer)
        .map_err(|e: AclError| Invalid::new(&format!("{what}: allow_transfer"), e))?;
    if let Some(unknown) = allow_transfer.key_names().find(|n| !ctx.knows_key(n)) {
        return Err(Invalid::new(
            &format!("{what}: allow_transfer"),
            AclError::UnknownKey(unknown.to_string()),
        ));
    }
    if let Some(p) = &raw.policy {
        if !ctx.policies.contains_key(p) && p != "default" {
            return Err(Invalid::new(&what, format!("no [policy.{p}]")));
        }
    }
    let signing = raw
        .sign
        .then(|| ctx.signing(raw.policy.as_deref().unwrap_or("default")));
    let mut notify = Vec::new();
    for target in &raw.notify {
        notify.push(parse_notify(target, &what, ctx)?);
    }
    let mut parent_servers = Vec::new();
    for server in &raw.parent_servers {
        parent_servers.push(socket_addr(server).ok_or_else(|| {
            Invalid::new(
                &format!("{what}: parent_servers"),
                format!("{server:?}: want ADDRESS[:PORT]"),
            )
        })?);
    }
    let ds_check_interval = match &raw.ds_check_interval {
        Some(v) => {
            parse_duration(v).map_err(|e| Invalid::new(&format!("{what}: ds_check_interval"), e))?
        }
        None => DEFAULT_DS_CHECK_INTERVAL,
    };
    let mut tlsa = Vec::new();
    for t in &raw.tlsa {
        tlsa.push(parse_tlsa(t, &name, &what, ctx.base)?);
    }
    let mut dkim = Vec::new();
    for d in &raw.dkim {
        let binding = parse_dkim(d, &dkim, &what, ctx.base)?;
        dkim.push(binding);
    }
    let mta_sts = raw
        .mta_sts
        .as_ref()
        .map(|m| parse_mta_sts(m, &what, ctx.base).map(Box::new))
        .transpose()?;
    let tls_rpt = raw
        .tls_rpt
        .as_ref()
        .map(|t| parse_tls_rpt(t, &what))
        .transpose()?;
    if let Some(g) = &raw.catalog_group
        && (g.is_empty() || g.len() > 255)
    {
        return Err(Invalid::new(
            &format!("{what}: catalog_group"),
            "want 1 to 255 octets (one TXT string)",
        ));
    }
    let mut update = Vec::new();
    for g in &raw.update {
        update.push(parse_grant(g, &name, &what, |k| ctx.knows_key(k))?);
    }
    Ok(ZoneConfig {
        catalog_group: raw.catalog_group.clone(),
        tlsa,
        dkim,
        mta_sts,
        tls_rpt,
        update,
        name,
        file: ctx.base.join(&raw.file),
        allow_transfer: Arc::new(allow_transfer),
        sign: raw.sign,
        policy: raw.policy.clone(),
        signing,
        serial_policy: raw.serial_policy.into(),
        notify,
        parent_servers,
        ds_check_interval,
    })
}

/// One `notify` entry: "ADDRESS[:PORT] [key:NAME]", the key a configured `[[tsig_key]]`.
fn parse_notify(target: &str, what: &str, ctx: &ZoneContext<'_>) -> Result<NotifyTarget, Invalid> {
    let key_what = format!("{what}: notify");
    let bad = || {
        Invalid::new(
            &key_what,
            format!("{target:?}: want ADDRESS[:PORT] [key:NAME]"),
        )
    };
    let mut parts = target.split_whitespace();
    let addr = parts.next().and_then(socket_addr).ok_or_else(bad)?;
    let key = match parts.next() {
        None => None,
        Some(k) => {
            let name = k
                .strip_prefix("key:")
                .ok_or_else(bad)?
                .trim_end_matches('.')
                .to_string();
            if !ctx.knows_key(&name) {
                return Err(Invalid::new(&key_what, AclError::UnknownKey(name)));
            }
            Some(name)
        }
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(NotifyTarget { addr, key })
}

/// "ADDRESS:PORT" or "ADDRESS" (port 53).
fn socket_addr(text: &str) -> Option<SocketAddr> {
    text.parse::<SocketAddr>()
        .or_else(|_| {
            text.parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .ok()
}
