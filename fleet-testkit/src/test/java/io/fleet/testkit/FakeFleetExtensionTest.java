package io.fleet.testkit;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.TransportException;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Transport;
import java.util.Optional;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One FakeFleet shared by the tests of a class: JUnit closes it after each, and it restarts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FakeFleetExtensionTest {
  @RegisterExtension
  final FakeFleet fake = FakeFleet.of(Fleet.builder().host("a", h -> {}).build());

  private Transport firstTransport;
  private FakeHost firstHost;

  @Test
  @Order(1)
  void firstTestChangesTheHost() {
    firstTransport = fake.transport();
    firstHost = fake.host("a");
    try (Connection c = firstTransport.connect(fake.fleet().host("a"))) {
      c.run(HostProtocol.arm("d1", 60, Optional.empty(), false, null));
    }
    assertThat(firstHost).hasRollbackMarker();
  }

  @Test
  @Order(2)
  void jUnitClosedItAndTheNextTestGetsFreshHosts() {
    assertThatThrownBy(() -> firstTransport.connect(fake.fleet().host("a")))
        .isInstanceOf(TransportException.class)
        .hasMessageContaining("closed");
    assertThat(fake.host("a")).isNotSameAs(firstHost).hasNoRollbackMarker().isOnGeneration(1);
  }
}
