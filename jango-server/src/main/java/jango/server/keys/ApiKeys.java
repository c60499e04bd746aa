package jango.server.keys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The keys file: one line per key, {@code id scopes owner-prefix created revoked sha256(secret)},
 * tab-separated. Only the hash of a secret is stored; a secret is {@code jango_<id>_<32 random
 * bytes, base64url>}, so the server finds the key by its id and compares hashes in constant time
 * ({@link MessageDigest#isEqual}). A secret of 256 random bits needs no slow hash: there is
 * nothing to guess a dictionary from. The server re-reads the file when it changes (checked at
 * most twice a second), so {@code jango keys create} and {@code revoke} take effect without a restart.
 */
public final class ApiKeys {
    private static final String HEADER = "# jango API keys (jango keys create|list|revoke): id\tscopes\towner-prefix\tcreated\trevoked\tsha256(secret)";
    private static final Pattern OWNER_PREFIX = Pattern.compile("@?[A-Za-z0-9._:-]{1,64}");
    private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private volatile Loaded loaded;
    private volatile long checkedAtNanos;

    private record Loaded(FileTime modified, long size, Map<String, ApiKey> keys) {
    }

    /** What {@link #authenticate} concluded: the key, or why there is none (never the secret). */
    public record Verdict(ApiKey key, String keyId, String refusal) {
        public boolean accepted() {
            return key != null;
        }
    }

    public ApiKeys(Path file) {
        this.file = file;
        this.loaded = read(file);
        this.checkedAtNanos = System.nanoTime();
    }

    public Path file() {
        return file;
    }

    /** True when the file exists: then every request needs a key, even if every key is revoked. */
    public boolean enforced() {
        return current().modified() != null;
    }

    public List<ApiKey> list() {
        return List.copyOf(current().keys().values());
    }

    public boolean hasActiveKey() {
        return current().keys().values().stream().anyMatch(key -> !key.revoked());
    }

    /** The key whose secret this is; unknown, revoked and wrong secrets are refused alike in timing. */
    public Verdict authenticate(String secret) {
        String id = idOf(secret);
        ApiKey key = id == null ? null : current().keys().get(id);
        byte[] presented = sha256(secret);
        // Compared even when the id is unknown, so the time does not tell which ids exist.
        boolean match = MessageDigest.isEqual(presented, key == null ? new byte[presented.length] : key.secretHash());
        if (key == null || !match) {
            return new Verdict(null, id, "the key is not known");
        }
        if (key.revoked()) {
            return new Verdict(null, id, "the key was revoked at " + key.revokedAt());
        }
        return new Verdict(key, id, null);
    }

    /** Creates a key and returns its secret (shown once; only its hash is written). */
    public synchronized String create(Set<Scope> scopes, String ownerPrefix, Clock clock) {
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("scopes: none (expected: one or more of commands:write, read, admin)");
        }
        if (ownerPrefix != null) {
            if (!OWNER_PREFIX.matcher(ownerPrefix).matches()) {
                throw new IllegalArgumentException("owner prefix: " + ownerPrefix + " (expected: the start of an owner id, " + OWNER_PREFIX + ")");
            }
            if (!scopes.equals(EnumSet.of(Scope.READ))) {
                throw new IllegalArgumentException("owner prefix: a key bound to owners reads only (scopes: read), not " + scopes);
            }
        }
        Map<String, ApiKey> keys = new LinkedHashMap<>(read(file).keys());
        String id;
        do {
            id = HexFormat.of().formatHex(random(5));
        } while (keys.containsKey(id));
        String secret = "jango_" + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random(32));
        keys.put(id, new ApiKey(id, sha256(secret), scopes, ownerPrefix, clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), null));
        write(keys.values());
        return secret;
    }

    /** Revokes the key; false when there is no key with that id. */
    public synchronized boolean revoke(String id, Clock clock) {
        Map<String, ApiKey> keys = new LinkedHashMap<>(read(file).keys());
        ApiKey key = keys.get(id);
        if (key == null) {
            return false;
        }
        if (!key.revoked()) {
            keys.put(id, new ApiKey(id, key.secretHash(), key.scopes(), key.ownerPrefix(), key.createdAt(),
                    clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
            write(keys.values());
        }
        return true;
    }

    private Loaded current() {
        long now = System.nanoTime();
        if (now - checkedAtNanos >= RECHECK_NANOS) {
            checkedAtNanos = now;
            Loaded last = loaded;
            try {
                FileTime modified = Files.getLastModifiedTime(file);
                if (!modified.equals(last.modified()) || Files.size(file) != last.size()) {
                    loaded = read(file);
                }
            } catch (NoSuchFileException e) {
                // Deleting the file does not open the door: the keys last read stay in force.
            } catch (IOException e) {
                throw new UncheckedIOException("keys file: cannot read " + file, e);
            }
        }
        return loaded;
    }

    private static String idOf(String secret) {
        if (secret == null || !secret.startsWith("jango_")) {
            return null;
        }
        int end = secret.indexOf('_', "jango_".length());
        return end < 0 ? null : secret.substring("jango_".length(), end);
    }

    private static Loaded read(Path file) {
        List<String> lines;
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(file);
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Loaded(null, -1, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException("keys file: cannot read " + file, e);
        }
        Map<String, ApiKey> keys = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.isBlank() && !line.startsWith("#")) {
                ApiKey key = parse(line, file, i + 1);
                keys.put(key.id(), key);
            }
        }
        try {
            return new Loaded(modified, Files.size(file), keys);
        } catch (IOException e) {
            throw new UncheckedIOException("keys file: cannot read " + file, e);
        }
    }

    private static ApiKey parse(String line, Path file, int number) {
        String[] fields = line.split("\t");
        if (fields.length != 6) {
            throw new IllegalStateException("keys file " + file + " line " + number + ": " + fields.length + " fields (expected: 6)");
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String scope : fields[1].split(",")) {
            scopes.add(Scope.parse(scope));
        }
        return new ApiKey(fields[0], HexFormat.of().parseHex(fields[5]), scopes, fields[2].equals("-") ? null : fields[2],
                Instant.parse(fields[3]), fields[4].equals("-") ? null : Instant.parse(fields[4]));
    }

    /** Writes every key to a new file, then moves it over the old one: a reader never sees half a file. */
    private void write(Iterable<ApiKey> keys) {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        for (ApiKey key : keys) {
            List<String> scopes = new ArrayList<>();
            key.scopes().forEach(scope -> scopes.add(scope.text()));
            text.append(key.id()).append('\t').append(String.join(",", scopes)).append('\t')
                    .append(key.ownerPrefix() == null ? "-" : key.ownerPrefix()).append('\t').append(key.createdAt()).append('\t')
                    .append(key.revokedAt() == null ? "-" : key.revokedAt().toString()).append('\t')
                    .append(HexFormat.of().formatHex(key.secretHash())).append('\n');
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path temp = Files.createTempFile(parent, ".keys", ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: its own permissions apply
                }
                Files.writeString(temp, text, StandardCharsets.UTF_8);
                try {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("keys file: cannot write " + file, e);
        }
        loaded = read(file);
    }

    private static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return value;
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest((secret == null ? "" : secret).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
