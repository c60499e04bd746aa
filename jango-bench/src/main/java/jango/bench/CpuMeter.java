package jango.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU use over a phase: the whole machine's busy share (from /proc/stat, so the bench client and a
 * PostgreSQL server count too) and this JVM's CPU time in cores.
 */
final class CpuMeter {
    /** Busy share of all cores (0..1) and this process's average cores in use; -1 where unknown. */
    record Usage(double machineBusy, double processCores) {
    }

    private final long[] machineStart = readProcStat();
    private final long processStartNanos = processCpuNanos();
    private final long wallStartNanos = System.nanoTime();

    Usage stop() {
        long[] machineEnd = readProcStat();
        double machine = -1;
        if (machineStart != null && machineEnd != null) {
            long total = machineEnd[0] - machineStart[0];
            long idle = machineEnd[1] - machineStart[1];
            machine = total <= 0 ? -1 : (double) (total - idle) / total;
        }
        long wall = System.nanoTime() - wallStartNanos;
        long process = processCpuNanos();
        double cores = process < 0 || processStartNanos < 0 ? -1 : (double) (process - processStartNanos) / wall;
        return new Usage(machine, cores);
    }

    /** {total jiffies, idle + iowait jiffies}, or null off Linux. */
    private static long[] readProcStat() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < fields.length; i++) {
                total += Long.parseLong(fields[i]);
            }
            return new long[] {total, Long.parseLong(fields[4]) + Long.parseLong(fields[5])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
