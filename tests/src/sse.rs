//! Reading a Server-Sent Events body the way a browser's `EventSource`
//! does, through `eventsource-stream` (the parser OpenAI clients use), so a
//! test sees exactly the events a client would.

use std::convert::Infallible;

use futures_util::{FutureExt, StreamExt, stream};

pub use eventsource_stream::Event;
use eventsource_stream::Eventsource;

/// The events of a whole SSE body, in order (comments left out), or why it
/// does not parse.
pub fn events(body: &str) -> Result<Vec<Event>, String> {
    let bytes = stream::iter([Ok::<_, Infallible>(body.as_bytes().to_vec())]);
    // The body is all here: the stream is ready at once, never pending.
    let parsed: Vec<_> = bytes
        .eventsource()
        .collect::<Vec<_>>()
        .now_or_never()
        .ok_or("the parser waited for more input")?;
    parsed
        .into_iter()
        .map(|event| event.map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_named_and_comments_are_skipped() {
        let body = ": keep-alive\n\nevent: text\ndata: {\"a\":1}\n\ndata: two\ndata: lines\n\n";
        let events = events(body).unwrap_or_default();
        assert_eq!(events.len(), 2);
        assert_eq!(
            (events[0].event.as_str(), events[0].data.as_str()),
            ("text", "{\"a\":1}")
        );
        assert_eq!(
            (events[1].event.as_str(), events[1].data.as_str()),
            ("message", "two\nlines")
        );
    }
}
