//! The HTTP senders the environment configures (names in [`super::env`]).

use super::env::*;
use super::http_client::JsonClient;
use super::meta::{MessengerSender, WhatsappSender, WhatsappTemplate};
use super::sms::SmsGatewaySender;
use super::x::XDmSender;
use super::{Provider, Senders};
use crate::config::ConfigError;
use std::sync::Arc;

/// The SMS gateway, X, Messenger and WhatsApp senders the environment configures, sharing one
/// HTTP client. A provider whose variables are unset or empty is absent; one that is half
/// configured (a URL without its key, a phone number id without its token), has a URL that is
/// not `http(s)://`, a phone number id that is not numeric or a malformed `WHATSAPP_TEMPLATE`
/// is an error, so a deploy fails at start-up rather than at the first message. E-mail needs the
/// AWS configuration: the caller adds [`super::ses::SesSender`] (see `SES_FROM_ADDRESS`).
pub fn senders_from_env() -> Result<Senders, ConfigError> {
    senders_from_vars(|name| std::env::var(name).ok())
}

/// [`senders_from_env`] reading the variables through `var`.
pub fn senders_from_vars(
    var: impl Fn(&'static str) -> Option<String>,
) -> Result<Senders, ConfigError> {
    let value = |name: &'static str| {
        var(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let sms = match both(
        SMS_API_URL,
        value(SMS_API_URL),
        SMS_API_KEY,
        value(SMS_API_KEY),
    )? {
        Some((base, key)) => Some((http_url(SMS_API_URL, base)?, key)),
        None => None,
    };
    let x = match value(X_ACCESS_TOKEN) {
        Some(token) => {
            let base = value(X_API_URL).unwrap_or_else(|| X_API_URL_DEFAULT.into());
            Some((http_url(X_API_URL, base)?, token))
        }
        None => None,
    };
    let whatsapp = both(
        WHATSAPP_PHONE_NUMBER_ID,
        value(WHATSAPP_PHONE_NUMBER_ID),
        WHATSAPP_TOKEN,
        value(WHATSAPP_TOKEN),
    )?;
    if let Some((id, _)) = &whatsapp {
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError {
                name: WHATSAPP_PHONE_NUMBER_ID,
                problem: "must be the numeric phone number id, not the number".into(),
            });
        }
    }
    let template = value(WHATSAPP_TEMPLATE)
        .map(|t| WhatsappTemplate::parse(&t))
        .transpose()
        .map_err(|problem| ConfigError {
            name: WHATSAPP_TEMPLATE,
            problem,
        })?;
    let messenger = value(MESSENGER_PAGE_TOKEN);
    let graph = value(META_GRAPH_URL).unwrap_or_else(|| META_GRAPH_URL_DEFAULT.into());
    let graph = if whatsapp.is_some() || messenger.is_some() {
        http_url(META_GRAPH_URL, graph)?
    } else {
        graph
    };

    let mut senders = Senders::default();
    if sms.is_none() && x.is_none() && whatsapp.is_none() && messenger.is_none() {
        return Ok(senders);
    }
    let client = JsonClient::new().map_err(|e| ConfigError {
        name: "TLS root certificates",
        problem: e.to_string(),
    })?;
    if let Some((base, key)) = sms {
        let sender = SmsGatewaySender::new(client.clone(), base, key);
        senders = senders.with(Provider::SmsGateway, Arc::new(sender));
    }
    if let Some((base, token)) = x {
        senders = senders.with(
            Provider::X,
            Arc::new(XDmSender::new(client.clone(), base, token)),
        );
    }
    if let Some(token) = messenger {
        let sender = MessengerSender::new(client.clone(), graph.clone(), token);
        senders = senders.with(Provider::Messenger, Arc::new(sender));
    }
    if let Some((id, token)) = whatsapp {
        let sender = WhatsappSender::new(client, graph, id, token, template);
        senders = senders.with(Provider::Whatsapp, Arc::new(sender));
    }
    Ok(senders)
}

fn http_url(name: &'static str, url: String) -> Result<String, ConfigError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url)
    } else {
        Err(ConfigError {
            name,
            problem: "must be an http:// or https:// URL".into(),
        })
    }
}

/// Both values, neither, or an error naming the missing one.
fn both(
    a_name: &'static str,
    a: Option<String>,
    b_name: &'static str,
    b: Option<String>,
) -> Result<Option<(String, String)>, ConfigError> {
    match (a, b) {
        (Some(a), Some(b)) => Ok(Some((a, b))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError {
            name: b_name,
            problem: format!("is not set, but {a_name} is"),
        }),
        (None, Some(_)) => Err(ConfigError {
            name: a_name,
            problem: format!("is not set, but {b_name} is"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&'static str, &str)]) -> Result<Senders, ConfigError> {
        let vars: HashMap<&str, String> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
        senders_from_vars(|name| vars.get(name).cloned())
    }

    #[tokio::test]
    async fn nothing_set_is_no_sender() {
        assert!(from(&[]).unwrap().is_empty());
        assert!(
            from(&[(SMS_API_URL, " "), (X_API_URL, "https://api.x.com")])
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn each_provider_from_its_variables() {
        let senders = from(&[
            (SMS_API_URL, "https://sms.example.id/v1"),
            (SMS_API_KEY, "k"),
            (X_ACCESS_TOKEN, "t"),
            (MESSENGER_PAGE_TOKEN, "p"),
            (WHATSAPP_PHONE_NUMBER_ID, "106540352242922"),
            (WHATSAPP_TOKEN, "w"),
            (WHATSAPP_TEMPLATE, "lapor_status:id"),
        ])
        .unwrap();
        assert_eq!(
            senders.providers(),
            vec![
                Provider::SmsGateway,
                Provider::X,
                Provider::Messenger,
                Provider::Whatsapp
            ]
        );
        let only_x = from(&[(X_ACCESS_TOKEN, "t")]).unwrap();
        assert_eq!(only_x.providers(), vec![Provider::X]);
    }

    #[tokio::test]
    async fn half_configured_or_malformed_fails_naming_the_variable() {
        let name = |vars: &[(&'static str, &str)]| from(vars).unwrap_err().name;
        assert_eq!(
            name(&[(SMS_API_URL, "https://sms.example.id")]),
            SMS_API_KEY
        );
        assert_eq!(name(&[(SMS_API_KEY, "k")]), SMS_API_URL);
        assert_eq!(
            name(&[(SMS_API_URL, "sms.example.id"), (SMS_API_KEY, "k")]),
            SMS_API_URL
        );
        assert_eq!(name(&[(WHATSAPP_TOKEN, "w")]), WHATSAPP_PHONE_NUMBER_ID);
        assert_eq!(
            name(&[(WHATSAPP_PHONE_NUMBER_ID, "+62811"), (WHATSAPP_TOKEN, "w")]),
            WHATSAPP_PHONE_NUMBER_ID
        );
        assert_eq!(
            name(&[(X_ACCESS_TOKEN, "t"), (X_API_URL, "ftp://x")]),
            X_API_URL
        );
        assert_eq!(
            name(&[(MESSENGER_PAGE_TOKEN, "p"), (META_GRAPH_URL, "graph")]),
            META_GRAPH_URL
        );
        assert_eq!(
            name(&[(WHATSAPP_TEMPLATE, "lapor_status")]),
            WHATSAPP_TEMPLATE
        );
    }
}
