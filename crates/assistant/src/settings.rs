//! The assistant's runtime settings.

use trellis_kernel::settings::{Setting, SettingDef};

use crate::service::DEFAULT_MAX_TOOL_ROUNDS;

/// How many rounds of tool calls one chat turn may take before the model
/// must answer in words.
pub static MAX_TOOL_ROUNDS: Setting<u32> = Setting {
    key: "assistant.max_tool_rounds",
    description: "Rounds of tool calls one assistant turn may take before the model must answer",
    default: || DEFAULT_MAX_TOOL_ROUNDS,
    validate: |rounds| {
        if (0..=10).contains(rounds) {
            Ok(())
        } else {
            Err("must be 0 to 10".into())
        }
    },
};

/// Every assistant setting, for the settings registry.
pub fn settings() -> Vec<&'static dyn SettingDef> {
    vec![&MAX_TOOL_ROUNDS]
}
