//! Its own test binary (own process) on purpose: nothing here installs a process-wide rustls
//! provider, which is how a forgotten install at startup looks. Building a client must then
//! fail with a config error that says what to do, not panic inside reqwest.

use support_llm::{LlmConfig, LlmError, Provider, client_from_config};

#[test]
fn building_a_client_without_a_crypto_provider_is_a_config_error() {
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    for provider in [Provider::Anthropic, Provider::OpenaiCompat] {
        let cfg = LlmConfig {
            provider,
            base_url: "https://llm.invalid/v1".into(),
            model: "m".into(),
            api_key: None,
            timeout_ms: 1000,
            max_retries: 0,
            max_tokens_field: Default::default(),
        };
        match client_from_config(&cfg) {
            Err(LlmError::Config(msg)) => assert!(msg.contains("install_default"), "{msg}"),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("built a client with no crypto provider"),
        }
    }
}
