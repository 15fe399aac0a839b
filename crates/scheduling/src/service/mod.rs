//! Scheduling services. Each takes the connection (or transaction) to work in.

mod appointments;
mod availability;
mod booking;
mod catalog;
mod clients;
mod professionals;
mod recurring;
mod reminders;
pub mod revenue;
mod social;

use std::sync::Arc;

pub use appointments::{AppointmentFilter, AppointmentService};
pub use availability::AvailabilityService;
pub use booking::BookingService;
pub use catalog::CatalogService;
pub use clients::ClientService;
pub use professionals::ProfessionalService;
pub use recurring::RecurringService;
pub use reminders::ReminderService;
pub use social::{SocialService, Standing, standing};
use trellis_kernel::{SharedClock, ports::Entitlements};

/// What every scheduling service needs.
#[derive(Clone)]
pub struct SchedulingDeps {
    /// Now.
    pub clock: SharedClock,
    /// Plan limits.
    pub entitlements: Arc<dyn Entitlements>,
}

impl std::fmt::Debug for SchedulingDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SchedulingDeps")
    }
}

/// Every scheduling service.
#[derive(Debug, Clone)]
pub struct Scheduling {
    /// Profiles.
    pub professionals: ProfessionalService,
    /// Services offered.
    pub catalog: CatalogService,
    /// Working hours and time off.
    pub availability: AvailabilityService,
    /// Clients and notes.
    pub clients: ClientService,
    /// Slots and bookings.
    pub booking: BookingService,
    /// Appointments.
    pub appointments: AppointmentService,
    /// Reminders.
    pub reminders: ReminderService,
    /// Follows and reviews.
    pub social: SocialService,
    /// Recurring schedules.
    pub recurring: RecurringService,
}

impl Scheduling {
    /// Wires the services.
    pub fn new(deps: SchedulingDeps) -> Self {
        let deps = Arc::new(deps);
        let clients = ClientService::new(deps.clone());
        let booking = BookingService::new(deps.clone(), clients.clone());
        Self {
            professionals: ProfessionalService::new(deps.clone()),
            catalog: CatalogService::new(deps.clone()),
            availability: AvailabilityService::new(deps.clone()),
            recurring: RecurringService::new(deps.clone(), booking.clone(), clients.clone()),
            booking,
            appointments: AppointmentService::new(deps.clone()),
            reminders: ReminderService::new(deps.clone()),
            social: SocialService::new(deps),
            clients,
        }
    }
}
