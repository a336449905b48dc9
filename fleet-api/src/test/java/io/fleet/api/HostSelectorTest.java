package io.fleet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HostSelectorTest {
  private final Fleet fleet =
      Fleet.builder()
          .host("web-1", h -> h.tags("web"))
          .host("web-2", h -> h.tags("web", "canary"))
          .host("web-10", h -> h.tags("web"))
          .host("db-a", h -> h.tags("db"))
          .host("db-b", h -> h.tags("db"))
          .host("x.y", h -> {})
          .build();

  private List<String> select(List<String> selectors, List<String> skips) {
    return fleet.select(selectors, skips).stream().map(Host::name).collect(Collectors.toList());
  }

  @Test
  void noSelectorMeansEveryHost() {
    assertThat(select(List.of(), List.of()))
        .containsExactly("db-a", "db-b", "web-1", "web-10", "web-2", "x.y");
  }

  @Test
  void byName() {
    assertThat(select(List.of("web-2"), List.of())).containsExactly("web-2");
    assertThat(HostSelector.parse("web-2").isExactName()).isTrue();
  }

  @Test
  void byTag() {
    assertThat(select(List.of("@db"), List.of())).containsExactly("db-a", "db-b");
    assertThat(select(List.of("@all"), List.of("@web"))).containsExactly("db-a", "db-b", "x.y");
    assertThat(select(List.of("@nosuchtag"), List.of())).isEmpty();
  }

  @Test
  void byGlob() {
    assertThat(select(List.of("web-*"), List.of())).containsExactly("web-1", "web-10", "web-2");
    assertThat(select(List.of("web-?"), List.of())).containsExactly("web-1", "web-2");
    assertThat(select(List.of("db-[ab]"), List.of())).containsExactly("db-a", "db-b");
    assertThat(select(List.of("db-[a-b]"), List.of())).containsExactly("db-a", "db-b");
    assertThat(select(List.of("db-[!a]"), List.of())).containsExactly("db-b");
    assertThat(select(List.of("web-[!1]*"), List.of())).containsExactly("web-2");
    // '.' in a glob is a literal dot, not "any character".
    assertThat(select(List.of("x.?"), List.of())).containsExactly("x.y");
    assertThat(select(List.of("x?y"), List.of())).containsExactly("x.y");
    assertThat(select(List.of("web.*"), List.of())).isEmpty();
  }

  @Test
  void selectorsUnionAndSkipsSubtract() {
    assertThat(select(List.of("@db", "web-1"), List.of("db-b"))).containsExactly("db-a", "web-1");
    assertThat(select(List.of("@web"), List.of("@canary", "web-1*")))
        .as("skips apply after selection")
        .isEmpty();
  }

  @Test
  void classEdgeCases() {
    assertThat(HostSelector.parse("[]a]").matches(Host.builder().name("]").build())).isTrue();
    assertThat(HostSelector.parse("[]a]").matches(Host.builder().name("a").build())).isTrue();
    assertThat(HostSelector.parse("[!]a]").matches(Host.builder().name("b").build())).isTrue();
    assertThat(HostSelector.parse("[!]a]").matches(Host.builder().name("a").build())).isFalse();
    assertThat(HostSelector.parse("[a-]").matches(Host.builder().name("-").build())).isTrue();
    assertThat(HostSelector.parse("[&&^\\\\]").matches(Host.builder().name("^").build())).isTrue();
  }

  @Test
  void anUnknownExactNameIsAnErrorListingTheHosts() {
    assertThatThrownBy(() -> fleet.select(List.of("web-1", "web-3", "@db", "nope*"), List.of()))
        .isInstanceOf(FleetConfigException.class)
        .hasMessage(
            "no such host(s) [web-3] in fleet 'default'; it has [db-a, db-b, web-1, web-10, web-2, x.y]");
  }

  @Test
  void invalidSelectors() {
    assertThatThrownBy(() -> HostSelector.parse(""))
        .isInstanceOf(FleetConfigException.class)
        .hasMessage("host selector is empty: give a host name, @tag or glob");
    assertThatThrownBy(() -> HostSelector.parse(null)).isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> HostSelector.parse("@bad tag"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("'@bad tag' names an invalid tag");
    assertThatThrownBy(() -> HostSelector.parse("web-[12"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessage("host selector 'web-[12' has an unclosed '[' in its glob: add ']'");
    assertThatThrownBy(() -> HostSelector.parse("web-[z-a]"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageStartingWith("host selector 'web-[z-a]' is not a valid glob");
  }

  @Test
  void equalityIsByText() {
    assertThat(HostSelector.parse("@db")).isEqualTo(HostSelector.parse("@db"));
    assertThat(HostSelector.parse("@db")).hasSameHashCodeAs(HostSelector.parse("@db"));
    assertThat(HostSelector.parse("@db")).isNotEqualTo(HostSelector.parse("db"));
    assertThat(HostSelector.parse("web-*")).hasToString("web-*");
  }
}
