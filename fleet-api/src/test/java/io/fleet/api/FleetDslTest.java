package io.fleet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FleetDslTest {

  /** A module over any hosts: tags them and gives them a shared key. */
  static final class Mesh implements FleetModule {
    final String name;
    final List<String> hosts;

    Mesh(String name, String... hosts) {
      this.name = name;
      this.hosts = List.of(hosts);
    }

    @Override
    public void configure(Fleet.Builder fleet) {
      for (String h : hosts) {
        fleet.host(h, b -> b.tags("mesh-" + name));
      }
      fleet.sharedSecret(name + "-key", s -> s.owners(hosts).generator(Generators.randomBytes(32)));
    }

    @Override
    public String name() {
      return "mesh(" + name + ")";
    }
  }

  @Test
  void theDesignExampleBuildsAndValidates() {
    Fleet fleet =
        Fleet.builder()
            .host("cp-1", h -> h.system("x86_64-linux").tags("cp").target("root@10.0.0.1"))
            .host("worker-1", h -> h.system("aarch64-linux"))
            .module(new Mesh("wg0", "cp-1", "worker-1"))
            .sharedSecret(
                "ca.pem",
                s ->
                    s.expectedOwners("cp-1", "worker-1")
                        .regenerateOnOwnerAdded(false)
                        .generator(Generators.x509Ca("kubernetes-ca", Duration.ofDays(365))))
            .build()
            .validate();

    assertThat(fleet.hosts()).containsOnlyKeys("cp-1", "worker-1");
    assertThat(fleet.host("cp-1").tags()).containsExactly("all", "cp", "mesh-wg0");
    assertThat(fleet.host("cp-1").deployTarget().spec()).isEqualTo("root@10.0.0.1:22");
    assertThat(fleet.host("worker-1").system()).isEqualTo("aarch64-linux");
    assertThat(fleet.host("worker-1").deployTarget().spec()).isEqualTo("root@worker-1:22");
    SecretSpec ca = fleet.sharedSecret("ca.pem").orElseThrow();
    assertThat(ca.owners()).containsExactly("cp-1", "worker-1");
    assertThat(ca.regenerateOnOwnerAdded()).isFalse();
    assertThat(ca.regeneratesOnOwnerRemoved()).isFalse();
    assertThat(ca.generator().orElseThrow().kind()).isEqualTo(Generators.X509_CA);
    assertThat(fleet.modules()).containsExactly("mesh(wg0)");
  }

  @Test
  void modulesRunAtBuildInOrderAndMayConfigureHostsDeclaredAfterThem() {
    List<String> seen = new ArrayList<>();
    Fleet.Builder b =
        Fleet.builder()
            .module(
                new FleetModule() {
                  @Override
                  public void configure(Fleet.Builder fleet) {
                    seen.add("first");
                    fleet.host("late", h -> h.tags("from-module"));
                  }

                  @Override
                  public String name() {
                    return "first";
                  }
                })
            .module(
                new FleetModule() {
                  @Override
                  public void configure(Fleet.Builder fleet) {
                    seen.add("second");
                  }

                  @Override
                  public String name() {
                    return "second";
                  }
                })
            .host("late", h -> h.system("aarch64-linux").tags("direct"));
    assertThat(seen).as("modules must not run before build()").isEmpty();

    Fleet fleet = b.build();

    assertThat(seen).containsExactly("first", "second");
    assertThat(fleet.modules()).containsExactly("first", "second");
    assertThat(fleet.host("late").tags()).containsExactly("all", "direct", "from-module");
    assertThat(fleet.host("late").system()).isEqualTo("aarch64-linux");
  }

  @Test
  void theSameModuleClassCanBeInstantiatedTwiceWithDifferentHosts() {
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> {})
            .host("b", h -> {})
            .host("c", h -> {})
            .host("d", h -> {})
            .module(new Mesh("ab", "a", "b"))
            .module(new Mesh("cd", "c", "d"))
            .build()
            .validate();

    assertThat(fleet.host("a").tags()).contains("mesh-ab").doesNotContain("mesh-cd");
    assertThat(fleet.host("d").tags()).contains("mesh-cd").doesNotContain("mesh-ab");
    assertThat(fleet.sharedSecret("ab-key").orElseThrow().owners()).containsExactly("a", "b");
    assertThat(fleet.sharedSecret("cd-key").orElseThrow().owners()).containsExactly("c", "d");
    assertThat(fleet.modules()).containsExactly("mesh(ab)", "mesh(cd)");
  }

  @Test
  void aModuleAddedByAModuleRunsToo() {
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> {})
            .module(fleetBuilder -> fleetBuilder.module(new Mesh("inner", "a")))
            .build();
    assertThat(fleet.host("a").tags()).contains("mesh-inner");
    assertThat(fleet.modules()).contains("mesh(inner)");
  }

  @Test
  void hostCalledTwiceMerges() {
    Fleet fleet =
        Fleet.builder()
            .host("web", h -> h.tags("web").secret("tls", s -> s.fileOwner("nginx")))
            .host(
                "web",
                h ->
                    h.tags("public")
                        .system("aarch64-linux")
                        .secret("tls", s -> s.fileMode("0440"))
                        .secret("db", s -> s.generator(Generators.password())))
            .build();

    Host web = fleet.host("web");
    assertThat(web.tags()).containsExactly("all", "public", "web");
    assertThat(web.system()).isEqualTo("aarch64-linux");
    assertThat(web.secrets()).containsOnlyKeys("tls", "db");
    assertThat(web.secrets().get("tls").fileOwner()).isEqualTo("nginx");
    assertThat(web.secrets().get("tls").fileMode()).isEqualTo("0440");
  }

  @Test
  void aHostBuiltElsewhereCanBeConfiguredFurther() {
    Host prebuilt =
        Host.builder()
            .name("db")
            .secret("pw", s -> s.fileOwner("postgres"))
            .secret("pw", s -> s.fileGroup("postgres"))
            .build();
    assertThat(prebuilt.secrets().get("pw").fileOwner()).isEqualTo("postgres");
    assertThat(prebuilt.secrets().get("pw").fileGroup()).isEqualTo("postgres");

    Fleet fleet =
        Fleet.builder()
            .host(prebuilt)
            .host("db", h -> h.tags("sql").secret("pw", s -> s.fileMode("0440")))
            .build();

    SecretSpec pw = fleet.host("db").secrets().get("pw");
    assertThat(pw.fileOwner()).isEqualTo("postgres");
    assertThat(pw.fileMode()).isEqualTo("0440");
    assertThat(fleet.host("db").tags()).containsExactly("all", "sql");
  }

  @Test
  void sharedSecretCalledTwiceMerges() {
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> {})
            .host("b", h -> {})
            .sharedSecret("k", s -> s.expectedOwners("a"))
            .sharedSecret("k", s -> s.addOwners("b").regenerateOnOwnerRemoved(true))
            .build();
    SecretSpec k = fleet.sharedSecret("k").orElseThrow();
    assertThat(k.owners()).containsExactly("a", "b");
    assertThat(k.regenerateOnOwnerAdded()).isTrue();
    assertThat(k.regeneratesOnOwnerRemoved()).isTrue();
  }

  @Test
  void everyHostHasTheAllTag() {
    assertThat(Host.builder().name("x").build().tags()).containsExactly("all");
    assertThat(Host.builder().name("x").tags("a", "all").build().tags())
        .containsExactly("a", "all");
    assertThat(Host.builder().name("x").build().hasTag(Host.ALL)).isTrue();
    Fleet fleet = Fleet.builder().host("y", h -> h.tags(List.of("only"))).build();
    assertThat(fleet.host("y").tags()).containsExactly("all", "only");
  }

  @Test
  void settingsAreKept() {
    Fleet fleet =
        Fleet.builder()
            .name("prod")
            .setting("nixos", TextNode.valueOf("imports lanzaboote"))
            .build();
    assertThat(fleet.name()).isEqualTo("prod");
    assertThat(fleet.settings().get("nixos").asText()).isEqualTo("imports lanzaboote");
  }

  @Test
  void nullsInTheDslAreConfigErrorsNamingTheThing() {
    assertThatThrownBy(() -> Fleet.builder().host(null, h -> {}))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("host name is null");
    assertThatThrownBy(() -> Fleet.builder().host("a", null))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("host 'a'");
    assertThatThrownBy(() -> Fleet.builder().host("web", h -> h.system(null)))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("host 'web'")
        .hasMessageContaining("system");
    assertThatThrownBy(() -> Fleet.builder().host("web", h -> h.tags("a", null)))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("host 'web'");
    assertThatThrownBy(
            () -> Fleet.builder().host("web", h -> h.secret("tls", s -> s.fileOwner(null))))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("host 'web'")
        .hasMessageContaining("'tls'")
        .hasMessageContaining("fileOwner");
    assertThatThrownBy(() -> Fleet.builder().sharedSecret("ca", s -> s.expectedOwners("a", null)))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("shared secret 'ca'");
    assertThatThrownBy(
            () -> Fleet.builder().sharedSecret("ca", s -> s.generator((GeneratorSpec) null)))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("shared secret 'ca'")
        .hasMessageContaining("generator");
    assertThatThrownBy(() -> Fleet.builder().module(null))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("module is null");
    assertThatThrownBy(() -> Fleet.builder().setting("x", null))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("setting 'x'");
    assertThatThrownBy(() -> Fleet.builder().host("web", h -> h.target((String) null)))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("host 'web'")
        .hasMessageContaining("deploy target");
  }

  @Test
  void aModuleFailingOnANullIsNamed() {
    FleetModule broken =
        new FleetModule() {
          @Override
          public void configure(Fleet.Builder fleet) {
            fleet.host("a", h -> h.system(null));
          }

          @Override
          public String name() {
            return "broken";
          }
        };
    assertThatThrownBy(() -> Fleet.builder().module(broken).build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("module 'broken'")
        .hasMessageContaining("host 'a'");
  }

  @Test
  void aBadDeployTargetInTheDslNamesTheHost() {
    assertThatThrownBy(() -> Fleet.builder().host("web", h -> h.target("root@")))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageStartingWith("host 'web': deploy target 'root@'");
  }

  @Test
  void buildingIsRepeatableAndModulesRunOnce() {
    int[] runs = {0};
    Fleet.Builder b =
        Fleet.builder()
            .host("a", h -> {})
            .module(
                f -> {
                  runs[0]++;
                  f.host("a", h -> h.tags("m"));
                });
    Fleet first = b.build();
    Fleet second = b.build();
    assertThat(runs[0]).isEqualTo(1);
    assertThat(second).isEqualTo(first);
  }

  @Test
  void hostLookupOfAnUnknownNameSaysWhichHostsExist() {
    Fleet fleet = Fleet.builder().host("a", h -> {}).build();
    assertThatThrownBy(() -> fleet.host("b"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("has no host 'b'")
        .hasMessageContaining("[a]");
  }

  @Test
  void generatorsCheckTheirArguments() {
    assertThatThrownBy(() -> Generators.password(8, null))
        .isInstanceOf(FleetConfigException.class)
        .hasMessage("password alphabet is null; give one");
    assertThatThrownBy(() -> Generators.x509Ca("ca", Duration.ZERO))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("CA validity is PT0S");
    assertThatThrownBy(() -> Generators.x509Ca(null, Duration.ofDays(1)))
        .isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> Generators.x509Leaf("ca", "cn", null, Duration.ofDays(1)))
        .isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> Generators.script(null)).isInstanceOf(FleetConfigException.class);
    assertThat(Generators.password(12).number("length", 0)).isEqualTo(12);
    assertThat(Generators.x509Leaf("ca", "cn", List.of("a"), Duration.ofDays(1)).text("ca"))
        .contains("ca");
  }

  @Test
  void selectRefusesNulls() {
    Fleet fleet = Fleet.builder().host("a", h -> {}).build();
    assertThatThrownBy(() -> fleet.select(null, List.of()))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("pass an empty list");
  }
}
