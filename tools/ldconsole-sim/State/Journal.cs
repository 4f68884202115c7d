using System.Globalization;
using System.Text.Json;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Json;

namespace LdFleet.LdConsoleSim.State;

/// <summary>
/// Appends one JSON line per call to <c>sim/journal.jsonl</c>:
/// <c>{"utc","argv","exitCode","osExitCode","stdoutLength","pid","faults"}</c>. <c>exitCode</c> is
/// the intended signed 32-bit ldconsole code (null for a hang), <c>osExitCode</c> what Linux reports.
/// Callers hold the <see cref="SimLock"/>, so lines never interleave. Written with a raw
/// <see cref="Utf8JsonWriter"/> because it runs on every call (cheaper than the serializer's first use).
/// </summary>
internal static class Journal
{
    public static void Append(SimPaths paths, IReadOnlyList<string> argv, int? exitCode, int stdoutLength, IReadOnlyList<string> faults)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, SimJson.WriterOptions(indented: false, relaxedEscaping: false)))
        {
            writer.WriteStartObject();
            writer.WriteString("utc", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteStartArray("argv");
            foreach (var arg in argv)
            {
                writer.WriteStringValue(arg);
            }

            writer.WriteEndArray();
            WriteNullableInt(writer, "exitCode", exitCode);
            WriteNullableInt(writer, "osExitCode", exitCode is { } code ? ExitCodes.ToOs(code) : null);
            writer.WriteNumber("stdoutLength", stdoutLength);
            writer.WriteNumber("pid", Environment.ProcessId);
            writer.WriteStartArray("faults");
            foreach (var fault in faults)
            {
                writer.WriteStringValue(fault);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        Directory.CreateDirectory(paths.SimDir);
        using var stream = new FileStream(paths.Journal, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public static void Reset(SimPaths paths) => File.Delete(paths.Journal);

    private static void WriteNullableInt(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
