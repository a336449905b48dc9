package io.fleet.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TailCaptureTest {
  @Test
  void keepsExactlyTheLastBytesWhateverTheWriteSizes() {
    Random rnd = new Random(42);
    for (int limit : new int[] {0, 1, 7, 64, 1000}) {
      for (int round = 0; round < 50; round++) {
        TailCapture tail = new TailCapture(limit);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int writes = rnd.nextInt(40);
        for (int w = 0; w < writes; w++) {
          if (rnd.nextInt(5) == 0) {
            int b = rnd.nextInt(256);
            tail.write(b);
            all.write(b);
          } else {
            byte[] chunk = new byte[rnd.nextInt(3 * limit + 3)];
            rnd.nextBytes(chunk);
            int off = chunk.length == 0 ? 0 : rnd.nextInt(chunk.length);
            int len = chunk.length - off;
            tail.write(chunk, off, len);
            all.write(chunk, off, len);
          }
        }
        byte[] expected = all.toByteArray();
        assertThat(tail.total()).isEqualTo(expected.length);
        assertThat(tail.bytes())
            .isEqualTo(
                Arrays.copyOfRange(
                    expected, Math.max(0, expected.length - limit), expected.length));
      }
    }
  }

  @Test
  void aCutMultiByteCharacterAtTheStartIsDroppedNotMangled() {
    TailCapture tail = new TailCapture(5);
    tail.write("aé€b".getBytes(StandardCharsets.UTF_8), 0, 7); // a, é (2), € (3), b
    // Last 5 bytes: the second byte of é, €, b.
    assertThat(tail.text()).isEqualTo("€b");
    assertThat(TailCapture.tail("xyz€".getBytes(StandardCharsets.UTF_8), 2)).isEmpty();
    assertThat(TailCapture.tail("ok".getBytes(StandardCharsets.UTF_8), 10)).isEqualTo("ok");
  }
}
