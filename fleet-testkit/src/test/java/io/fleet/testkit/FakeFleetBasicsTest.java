package io.fleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetException;
import io.fleet.api.Host;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * FakeFleet's validation, fake HTTP endpoints, {@code toString()}s and the assertions that need no
 * deployer (the wired deployer and rotation are tested in fleet-transport and fleet-secrets, which
 * provide them).
 */
class FakeFleetBasicsTest {
  static Fleet fleet() {
    return Fleet.builder()
        .name("shop")
        .host("web-1", h -> h.tags("web").target("root@10.0.0.1"))
        .host("web-2", h -> h.tags("web"))
        .build();
  }

  @Test
  void refusesAnInvalidFleetWithTheValidationMessage() {
    Fleet bad =
        Fleet.builder()
            .host(Host.builder().name("web 4").build())
            .sharedSecret("db", s -> s.expectedOwners("nobody"))
            .build();
    assertThatThrownBy(() -> FakeFleet.of(bad))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("host name 'web 4' is invalid")
        .hasMessageContaining("names owner 'nobody', which is not a host of the fleet");
    assertThatThrownBy(() -> FakeFleet.builder().build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining(".fleet(fleet)");
  }

  @Test
  void httpEndpointsAnswerByAddressOrNameAndSayWhyNot() {
    try (FakeFleet fake = FakeFleet.of(fleet())) {
      Duration t = Duration.ofSeconds(1);
      fake.host("web-1").httpEndpoint("/health", 200).httpEndpoint("/ready", 503);
      assertThat(fake.httpProblem(URI.create("http://10.0.0.1/health"), t)).isEmpty();
      assertThat(fake.httpProblem(URI.create("http://10.0.0.1:8080/health?full=1"), t)).isEmpty();
      assertThat(fake.httpProblem(URI.create("http://10.0.0.1/ready"), t))
          .contains("answered HTTP 503");
      assertThat(fake.httpProblem(URI.create("http://web-2/health"), t).orElseThrow())
          .startsWith("answered HTTP 404: fake host web-2 serves no /health (it serves [])")
          .contains("httpEndpoint(path, status)");
      assertThat(fake.httpProblem(URI.create("http://web-9/health"), t).orElseThrow())
          .startsWith("unknown host web-9: no fake host has that address");
      fake.host("web-1").kill();
      assertThat(fake.httpProblem(URI.create("http://10.0.0.1/health"), t).orElseThrow())
          .contains("fake host web-1 is down");
      fake.host("web-1").revive();
      fake.host("web-2").httpEndpoint("/v", h -> h.generation() == 1 ? 500 : 204);
      assertThat(fake.httpProblem(URI.create("http://web-2/v"), t)).contains("answered HTTP 500");
    }
  }

  @Test
  void failHealthChecksOfNewSystemsAlsoFailsHttpEndpoints() {
    try (FakeFleet fake = FakeFleet.of(fleet())) {
      FakeHost h = fake.host("web-2").httpEndpoint("/health", 200);
      h.failHealthChecksOfNewSystems();
      // Still on the system it runs now: healthy.
      assertThat(fake.httpProblem(URI.create("http://web-2/health"), Duration.ofSeconds(1)))
          .isEmpty();
    }
  }

  @Test
  void thingsSayWhatTheyAre() {
    try (FakeFleet fake = FakeFleet.of(fleet())) {
      assertThat(fake)
          .hasToString(
              "FakeFleet{fleet 'shop', 2 fake hosts [web-1, web-2], clock at 2026-01-01T00:00:00Z}");
      assertThat(fake.transport()).hasToString("FakeTransport{2 fake hosts}");
      assertThat(fake.evaluator()).hasToString("FakeEvaluator{fleet 'shop', 2 hosts, 0 builds}");
      assertThat(fake.clock()).hasToString("FakeClock{2026-01-01T00:00:00Z}");
      fake.close();
      assertThat(fake.toString()).endsWith(", closed}");
    }
  }

  @Test
  void wiringWithoutTheModuleSaysWhatToAdd() {
    // fleet-transport and fleet-secrets are not on the testkit's own class path.
    try (FakeFleet fake = FakeFleet.of(fleet())) {
      assertThatThrownBy(() -> fake.<Object>deployer())
          .isInstanceOf(FleetException.class)
          .hasMessageContaining("io.fleet.transport.Deployer")
          .hasMessageContaining("put fleet-transport on the class path");
      assertThatThrownBy(() -> fake.rotation(null))
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("store");
    }
  }

  @Test
  void hostAssertionsOnAnUndeployedHostFailWithTheFacts() {
    try (FakeFleet fake = FakeFleet.of(fleet())) {
      FakeHost h = fake.host("web-1");
      FleetAssertions.assertThat(h).isOnInitialSystem().wasNotConfirmed();
      assertThatThrownBy(() -> FleetAssertions.assertThat(h).wasConfirmed())
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("Expected host <web-1> to have confirmed a deployment");
      assertThatThrownBy(() -> FleetAssertions.assertThat(h).isOnNewSystem())
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("Expected host <web-1> to be on a new system")
          .hasMessageContaining("it started with <" + fake.initialSystem("web-1") + ">");
      assertThatThrownBy(() -> FleetAssertions.assertThat(fake).allOnNewSystem())
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("but 2 of 2 did not")
          .hasMessageContaining("<web-1>")
          .hasMessageContaining("<web-2>");
      FleetAssertions.assertThat(fake)
          .hasOnNewSystemExactly()
          .hasRolledBackExactly()
          .hasNoRollbackMarkers()
          .receivedOnlyKnownCommands();
      assertThatThrownBy(() -> FleetAssertions.assertThat(fake).hasOnNewSystemExactly("web-9"))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("no such hosts");
    }
  }
}
