package dev.perfkit.mongo;

import dev.perfkit.PerfException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * perf-mongo is built against the 5.x driver. A host that brings a 4.x driver would otherwise get
 * a NoSuchMethodError from inside a listener on every operation, far from its cause; instead the
 * first perf-mongo call that touches the driver (instrument, cached, batchWriter, poolSettings,
 * ping, the bulk operations) throws one PerfException naming both versions.
 *
 * The version is read reflectively: MongoDriverVersion.VERSION is a compile-time constant, which
 * javac would inline as the version perfkit was compiled against.
 */
final class DriverRequirement {
    private static final Logger log = LoggerFactory.getLogger(DriverRequirement.class);
    static final int REQUIRED_MAJOR = 5;
    private static final String FOUND = foundVersion();

    private DriverRequirement() {}

    /** Throws when the driver on the class path is older than 5.x. */
    static void check() {
        check(FOUND);
    }

    static void check(String found) {
        if (found == null) {
            return; // unknown (a repackaged driver): let it run
        }
        int major;
        try {
            major = Integer.parseInt(found.split("[.-]", 2)[0].strip());
        } catch (NumberFormatException e) {
            return;
        }
        if (major < REQUIRED_MAJOR) {
            throw new PerfException("perf-mongo needs the MongoDB Java driver " + REQUIRED_MAJOR
                    + ".x (org.mongodb:mongodb-driver-sync 5.0 or later; built and tested with 5.6.1), but driver "
                    + found + " is on the class path: upgrade the driver, or leave perf-mongo out");
        }
    }

    /** The version of the driver on the class path, or null when it cannot be told. */
    static String foundVersion() {
        try {
            Object version = Class.forName("com.mongodb.internal.build.MongoDriverVersion")
                    .getField("VERSION")
                    .get(null);
            if (version instanceof String text && !text.isBlank()) {
                return text;
            }
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            log.debug("Could not read the MongoDB driver version from MongoDriverVersion", e);
        }
        Package driver = com.mongodb.MongoClientSettings.class.getPackage();
        return driver == null ? null : driver.getImplementationVersion();
    }
}
