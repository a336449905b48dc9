package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
import io.fleet.secrets.age.AgeException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The STREAM payload decryptor. Each chunk's tag is verified before any of its plaintext is
 * returned; a failure is thrown as an {@link AgeException} of kind {@link Kind#PAYLOAD_FAILURE}
 * once the plaintext of the chunks before it was read.
 */
final class PayloadReader extends InputStream {
  private static final int ENC_CHUNK = PayloadWriter.CHUNK + ChunkAead.TAG;

  private final InputStream in;
  private final ChunkAead aead;
  private final byte[] enc = new byte[ENC_CHUNK];
  private final byte[] plain = new byte[PayloadWriter.CHUNK];
  private final byte[] nonce = new byte[12];
  private int pos;
  private int limit;
  private long counter;
  private boolean done;
  private AgeException pending;

  PayloadReader(InputStream in, byte[] payloadKey) {
    this.in = in;
    this.aead = ChunkAead.create(payloadKey);
  }

  static void nonce(byte[] nonce, long counter, boolean last) {
    for (int i = 0; i < 11; i++) {
      nonce[10 - i] = i < 8 ? (byte) (counter >>> (8 * i)) : 0;
    }
    nonce[11] = (byte) (last ? 1 : 0);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (pos == limit) {
      if (pending != null) {
        throw pending;
      }
      if (done) {
        return -1;
      }
      try {
        readChunk();
      } catch (AgeException e) {
        pending = e;
        throw e;
      }
    }
    int k = Math.min(len, limit - pos);
    System.arraycopy(plain, pos, b, off, k);
    pos += k;
    return k;
  }

  @Override
  public int available() {
    return limit - pos;
  }

  private void readChunk() throws IOException {
    int n = in.readNBytes(enc, 0, ENC_CHUNK);
    if (n == 0) {
      throw failure(
          counter == 0
              ? "the payload has no chunks"
              : "the payload is truncated: the final chunk is missing");
    }
    boolean last = n < ENC_CHUNK;
    int m;
    if (last) {
      nonce(nonce, counter, true);
      m = aead.open(nonce, enc, 0, n, plain, 0);
    } else {
      nonce(nonce, counter, false);
      m = aead.open(nonce, enc, 0, n, plain, 0);
      if (m < 0) {
        // A full chunk may be the final one.
        nonce(nonce, counter, true);
        m = aead.open(nonce, enc, 0, n, plain, 0);
        last = m >= 0;
      }
    }
    if (m < 0) {
      throw failure(
          "chunk "
              + counter
              + " does not authenticate: the file is damaged, truncated or was altered");
    }
    if (last && m == 0 && counter > 0) {
      throw failure("the final chunk is empty, which only an empty payload may have");
    }
    counter++;
    pos = 0;
    limit = m;
    if (last) {
      done = true;
      try {
        if (in.read() >= 0) {
          // Reported after this chunk's (authenticated) plaintext was read.
          pending = failure("there is trailing data after the final chunk");
        }
      } catch (AgeException e) {
        pending = e; // e.g. the armor around the file is damaged after its end
      }
    }
  }

  private static AgeException failure(String message) {
    return new AgeException(Kind.PAYLOAD_FAILURE, "age payload failure: " + message);
  }

  @Override
  public void close() throws IOException {
    Arrays.fill(plain, (byte) 0);
    pos = limit = 0;
    done = true;
    in.close();
  }
}
