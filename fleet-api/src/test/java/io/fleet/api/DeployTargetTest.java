package io.fleet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DeployTargetTest {

  @ParameterizedTest
  @CsvSource({
    "web-1,                        root,   web-1,                  22,   root@web-1:22",
    "deploy@10.0.0.1,              deploy, 10.0.0.1,               22,   deploy@10.0.0.1:22",
    "10.0.0.1:2222,                root,   10.0.0.1,               2222, root@10.0.0.1:2222",
    "ops@host.example.org:65535,   ops,    host.example.org,       65535, ops@host.example.org:65535",
    "[::1],                        root,   ::1,                    22,   root@[::1]:22",
    "root@[::1]:2222,              root,   ::1,                    2222, root@[::1]:2222",
    "admin@[fe80::1%eth0]:22,      admin,  fe80::1%eth0,           22,   admin@[fe80::1%eth0]:22",
    "'  web-1  ',                  root,   web-1,                  22,   root@web-1:22",
  })
  void parses(String spec, String user, String address, int port, String canonical) {
    DeployTarget t = DeployTarget.parse(spec);
    assertThat(t.user()).isEqualTo(user);
    assertThat(t.address()).isEqualTo(address);
    assertThat(t.port()).isEqualTo(port);
    assertThat(t.spec()).isEqualTo(canonical);
    assertThat(DeployTarget.parse(t.spec())).isEqualTo(t);
    assertThat(t.needsSudo()).isEqualTo(!"root".equals(user));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "root@",
        "@host",
        "::1",
        "root@::1:22",
        "host:",
        "host:abc",
        "a b",
        "[::1",
        "host:123456",
        "a@b@c"
      })
  void rejectsMalformed(String spec) {
    assertThatThrownBy(() -> DeployTarget.parse(spec))
        .isInstanceOf(FleetConfigException.class)
        .hasMessage(
            "deploy target "
                + Names.quote(spec)
                + " is not of the form [user@]address[:port] (IPv6 addresses go in brackets)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"host:0", "host:65536", "host:99999"})
  void rejectsPortsOutOfRange(String spec) {
    assertThatThrownBy(() -> DeployTarget.parse(spec))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("has port")
        .hasMessageEndingWith(": use 1..65535");
  }

  @Test
  void rejectsNull() {
    assertThatThrownBy(() -> DeployTarget.parse(null))
        .isInstanceOf(FleetConfigException.class)
        .hasMessage("deploy target is missing: give it as [user@]address[:port]");
    assertThatThrownBy(() -> DeployTarget.of(null)).isInstanceOf(FleetConfigException.class);
  }

  @Test
  void aHostWithoutTargetIsReachedByName() {
    assertThat(Host.builder().name("web").build().deployTarget()).isEqualTo(DeployTarget.of("web"));
    assertThat(DeployTarget.of("web").spec()).isEqualTo("root@web:22");
  }
}
