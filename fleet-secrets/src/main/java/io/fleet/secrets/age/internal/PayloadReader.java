package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
import io.fleet.secrets.age.AgeException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The STREAM payload decryptor. Each chunk's tag is verified before any of its plaintext is
 * returned; a failure is thrown as an {@link AgeException} of kind {@link Kind#PAYLOAD_FAILURE}
 * once the plaintext of the chunks before it was read. Up to {@link Parallelism#BATCH} chunks are
 * read and opened at once (on several cores), and their results are then taken in order, exactly as
 * if they had been opened one by one.
 */
final class PayloadReader extends InputStream {
  private static final int ENC_CHUNK = PayloadWriter.CHUNK + ChunkAead.TAG;

  private final InputStream in;
  private final byte[] key;
  private final ChunkAead aead;
  private final byte[][] enc = new byte[Parallelism.BATCH][];
  private final int[] encLen = new int[Parallelism.BATCH];
  private final byte[][] plain = new byte[Parallelism.BATCH][];
  private final int[] plainLen = new int[Parallelism.BATCH];
  private final boolean[] lastFlag = new boolean[Parallelism.BATCH];
  private int frames; // chunks opened in this batch
  private int frame; // the chunk being returned
  private int pos;
  private long counter; // index of the first chunk of this batch
  private boolean done;
  private AgeException pending;

  PayloadReader(InputStream in, byte[] payloadKey) {
    this.in = in;
    this.key = payloadKey.clone();
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
    while (true) {
      if (frame < frames && pos < plainLen[frame]) {
        int k = Math.min(len, plainLen[frame] - pos);
        System.arraycopy(plain[frame], pos, b, off, k);
        pos += k;
        return k;
      }
      if (frame < frames) {
        // This chunk is used up: release the next one (or meet the failure in its place).
        frame++;
        pos = 0;
        if (frame < frames) {
          continue;
        }
      }
      if (pending != null) {
        throw pending;
      }
      if (done) {
        return -1;
      }
      try {
        readBatch();
      } catch (AgeException e) {
        pending = e;
      }
    }
  }

  @Override
  public int available() {
    return frame < frames ? plainLen[frame] - pos : 0;
  }

  /**
   * Reads and opens up to one batch of chunks. Chunks that verified are made available (frames);
   * the first failure, if any, becomes {@code pending}, after them.
   */
  private void readBatch() throws IOException {
    counter += frames;
    frames = 0;
    frame = 0;
    pos = 0;
    int read = 0;
    boolean eof = false;
    while (read < Parallelism.BATCH) {
      if (enc[read] == null) {
        enc[read] = new byte[ENC_CHUNK];
      }
      int n = in.readNBytes(enc[read], 0, ENC_CHUNK);
      encLen[read] = n;
      if (n == 0) {
        eof = true;
        break;
      }
      read++;
      if (n < ENC_CHUNK) {
        eof = true; // a short chunk can only be the last one
        break;
      }
    }
    int count = read;
    if (count <= 1) {
      if (count == 1) {
        open(aead, 0);
      }
    } else {
      IntStream.range(0, count).parallel().forEach(i -> open(ChunkAead.create(key), i));
    }
    // Take the results in order, as a sequential reader would.
    for (int i = 0; i < count; i++) {
      long index = counter + i;
      if (plainLen[i] < 0) {
        throw failure(
            "chunk "
                + index
                + " does not authenticate: the file is damaged, truncated or was altered");
      }
      if (lastFlag[i]) {
        if (plainLen[i] == 0 && index > 0) {
          throw failure("the final chunk is empty, which only an empty payload may have");
        }
        frames = i + 1;
        done = true;
        boolean trailing = i + 1 < count || (!eof && in.read() >= 0);
        if (trailing) {
          // Reported after this chunk's (authenticated) plaintext was read.
          pending = failure("there is trailing data after the final chunk");
        }
        return;
      }
      frames = i + 1;
    }
    if (eof) {
      done = true;
      pending =
          failure(
              counter + count == 0
                  ? "the payload has no chunks"
                  : "the payload is truncated: the final chunk is missing");
    }
  }

  /** Opens chunk {@code i}: plainLen[i] is -1 if it does not verify, lastFlag[i] its flag. */
  private void open(ChunkAead a, int i) {
    if (plain[i] == null) {
      plain[i] = new byte[PayloadWriter.CHUNK];
    }
    byte[] nonce = new byte[12];
    int n = encLen[i];
    boolean last = n < ENC_CHUNK;
    nonce(nonce, counter + i, last);
    int m = a.open(nonce, enc[i], 0, n, plain[i], 0);
    if (m < 0 && !last) {
      // A full chunk may be the final one.
      last = true;
      nonce(nonce, counter + i, true);
      m = a.open(nonce, enc[i], 0, n, plain[i], 0);
    }
    plainLen[i] = m;
    lastFlag[i] = last;
  }

  private static AgeException failure(String message) {
    return new AgeException(Kind.PAYLOAD_FAILURE, "age payload failure: " + message);
  }

  @Override
  public void close() throws IOException {
    for (byte[] p : plain) {
      if (p != null) {
        Arrays.fill(p, (byte) 0);
      }
    }
    Arrays.fill(key, (byte) 0);
    frames = frame = pos = 0;
    done = true;
    in.close();
  }
}
