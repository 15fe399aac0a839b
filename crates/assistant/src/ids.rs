//! Typed ids of the assistant.

use trellis_kernel::typed_id;

typed_id!(
    /// A stored conversation between a professional and the assistant.
    ConversationId
);
typed_id!(
    /// One message of a conversation.
    MessageId
);
typed_id!(
    /// One response's token usage.
    UsageId
);
