package io.fleet.api.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import java.net.URI;
import org.junit.jupiter.api.Test;

class HealthCheckTest {
  @Test
  void hostPlaceholderIsReplacedByTheAddress() {
    HealthCheck c = HealthCheck.http("http://{host}:8080/healthz");
    assertThat(c.name()).isEqualTo("http://{host}:8080/healthz");
    assertThat(c.urlFor("10.0.0.1")).contains(URI.create("http://10.0.0.1:8080/healthz"));
    assertThat(c.urlFor("fd00::1")).contains(URI.create("http://[fd00::1]:8080/healthz"));
  }

  @Test
  void badChecksAreTypedErrors() {
    assertThatThrownBy(() -> HealthCheck.http("ftp://x/"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("ftp://x/");
    assertThatThrownBy(() -> HealthCheck.http("http://a b/"))
        .isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> HealthCheck.builder().build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("either a command or a URL");
    assertThatThrownBy(() -> HealthCheck.builder().addCommand("true").attempts(0).build())
        .isInstanceOf(FleetConfigException.class);
  }
}
