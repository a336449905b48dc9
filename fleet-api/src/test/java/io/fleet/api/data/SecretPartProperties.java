package io.fleet.api.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.FleetConfigException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class SecretPartProperties {

  @Property(tries = 500)
  void arbitraryBytesRoundTripThroughRaw(@ForAll byte[] data) {
    SecretPart plain = SecretPart.plaintext(data);
    SecretPart back = SecretPart.parseRaw(plain.raw());
    assertThat(back.bytes()).isEqualTo(data);
    assertThat(back).isEqualTo(plain);
    assertThat(back.raw()).isEqualTo(plain.raw());

    SecretPart enc = SecretPart.encrypted(data);
    SecretPart encBack = SecretPart.parseRaw(enc.raw());
    assertThat(encBack.isEncrypted()).isTrue();
    assertThat(encBack.bytes()).isEqualTo(data);
    assertThat(encBack).isEqualTo(enc);
  }

  @Property(tries = 300)
  void arbitraryTextRoundTripsAsText(@ForAll String text) {
    SecretPart p = SecretPart.plaintext(text);
    assertThat(SecretPart.parseRaw(p.raw()).bytes()).isEqualTo(p.bytes());
  }

  @Property(tries = 300)
  void z85OfArbitraryBytesDecodes(@ForAll byte[] data) {
    assertThat(SecretPart.parseRaw("<Z85-ENCODED>\n" + Z85ForTests.encode(data)).bytes())
        .isEqualTo(data);
  }

  @Property(tries = 1000)
  void parseRawThrowsOnlyFleetConfigException(@ForAll("raws") String raw) {
    try {
      SecretPart p = SecretPart.parseRaw(raw);
      assertThat(p.raw()).isNotNull();
    } catch (FleetConfigException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Provide
  Arbitrary<String> raws() {
    Arbitrary<String> prefix =
        Arbitraries.of(
            "",
            "<ENCRYPTED>",
            "<PLAINTEXT>",
            "<PLAINTEXT-NL>",
            "<PLAINTEXT-NL>\n",
            "<BASE64-ENCODED>\n",
            "<Z85-ENCODED>\n",
            "<ENCRYPTED><BASE64-ENCODED>\n",
            "<ENCRYPTED><Z85-ENCODED>\n",
            "<ENCRYPTED><PLAINTEXT>",
            "<");
    Arbitrary<String> body =
        Arbitraries.oneOf(
            Arbitraries.strings(),
            Arbitraries.strings().withChars("ABCabc019+/=#\n \t-.:%$&<>()[]{}@^!*?"),
            Arbitraries.strings().ofMaxLength(12).withCharRange('\u0000', '\u00ff'));
    return Combinators.combine(prefix, body).as((p, b) -> p + b);
  }
}
