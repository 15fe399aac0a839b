//! Typed ids of the scheduling domain.

use trellis_kernel::typed_id;

typed_id!(
    /// A professional profile.
    ProfessionalId
);
typed_id!(
    /// A service a professional offers.
    ServiceId
);
typed_id!(
    /// A professional's client.
    ClientId
);
typed_id!(
    /// An appointment.
    AppointmentId
);
typed_id!(
    /// A time-off period.
    TimeOffId
);
typed_id!(
    /// A note about a client.
    NoteId
);
typed_id!(
    /// A recurring schedule.
    RecurringId
);
