//! Typed ids of the messaging domain.

use trellis_kernel::typed_id;

typed_id!(
    /// A chat room.
    RoomId
);
typed_id!(
    /// A chat message.
    MessageId
);
typed_id!(
    /// An uploaded file.
    FileId
);
typed_id!(
    /// One notification to one address on one channel.
    DeliveryId
);
typed_id!(
    /// A registered push device.
    DeviceId
);
