//! Stand-ins for the Census geocoder, speaking its real response format.

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The geocoder's path the service asks.
pub const ONELINE: &str = "/geographies/onelineaddress";

/// A Census `geographies/onelineaddress` answer (the geocoder's real response shape) for one Boston
/// address on Beacon Hill: MA congressional district 7, Suffolk and Middlesex senate district, 8th
/// Suffolk house district. Shared by every test and benchmark that needs a Census stand-in.
pub fn census_boston() -> Value {
    serde_json::json!({"result": {
        "input": {"address": {"address": "24 Beacon St, Boston, MA 02133"},
                  "benchmark": {"benchmarkName": "Public_AR_Current"}},
        "addressMatches": [{
            "matchedAddress": "24 BEACON ST, BOSTON, MA, 02133",
            "coordinates": {"x": -71.0621, "y": 42.3579},
            "tigerLine": {"tigerLineId": "1", "side": "L"},
            "addressComponents": {"zip": "02133", "state": "MA", "city": "BOSTON"},
            "geographies": {
                "States": [{"GEOID": "25", "STUSAB": "MA", "NAME": "Massachusetts", "STATE": "25"}],
                "119th Congressional Districts": [{"GEOID": "2507", "CD119": "07", "STATE": "25",
                    "NAME": "Congressional District 7", "BASENAME": "7"}],
                "2024 State Legislative Districts - Upper": [{"GEOID": "25D28", "SLDU": "D28", "STATE": "25",
                    "NAME": "Suffolk and Middlesex District"}],
                "2024 State Legislative Districts - Lower": [{"GEOID": "25130", "SLDL": "130", "STATE": "25",
                    "NAME": "8th Suffolk District"}]
            }
        }]
    }})
}

/// A Census stand-in answering every address with `body`.
pub async fn census_stand_in(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ONELINE))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// A Census stand-in for which every address is the Boston one ([`census_boston`]).
pub async fn boston_census() -> MockServer {
    census_stand_in(census_boston()).await
}

/// How many requests a stand-in has received.
pub async fn calls(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0)
}
