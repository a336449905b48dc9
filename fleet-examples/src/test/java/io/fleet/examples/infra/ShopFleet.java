package io.fleet.examples.infra;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import java.util.List;

/**
 * The fleet under test in these examples: stands for your own fleet definition (in your code, the
 * class your ops tool builds its fleet with). Three web hosts and a database; each web host has a
 * TLS key, and the web hosts and the database share the database password.
 */
final class ShopFleet {
  private ShopFleet() {}

  static Fleet build(List<String> dbPasswordOwners) {
    Fleet.Builder b = Fleet.builder().name("shop");
    for (String web : List.of("web-1", "web-2", "web-3")) {
      b.host(web, h -> h.tags("web").secret("tls-key", s -> s.generator(Generators.ed25519())));
    }
    return b.host("db-1", h -> h.tags("db"))
        .sharedSecret(
            "db-password",
            s ->
                s.owners(dbPasswordOwners)
                    .regenerateOnOwnerAdded(false)
                    .generator(Generators.password(32)))
        .build();
  }

  static Fleet build() {
    return build(List.of("db-1", "web-1", "web-2"));
  }
}
