package io.fleet.secrets.age.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.secrets.age.Age;
import io.fleet.secrets.age.AgeException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsed identities are cached by their text; a bad text is refused every time, never cached. */
class KeysCacheTest {
  @Test
  void theSameIdentityTextIsParsedOnceAndStillDecrypts() {
    String key = Keys.generateIdentity();
    String text = "# an operator identity\n" + key + "\n";
    List<Identity> first = Keys.identities(List.of(text));
    List<Identity> second = Keys.identities(List.of(new String(text.toCharArray())));
    assertThat(second).hasSize(1);
    assertThat(second.get(0)).isSameAs(first.get(0));

    String recipient = Age.recipientOf(key);
    byte[] file = Age.encrypt("hello".getBytes(StandardCharsets.UTF_8), List.of(recipient));
    assertThat(Age.decrypt(file, List.of(text)))
        .isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aBadIdentityTextFailsEachTime() {
    String bad = "# comment only\n";
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> Keys.identities(List.of(bad)))
          .isInstanceOf(AgeException.class)
          .hasMessageContaining("contains no key");
    }
  }
}
