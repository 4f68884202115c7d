using System.Globalization;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Faults;
using LdFleet.LdConsoleSim.Json;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>
/// Simulator-only commands, prefixed <c>sim:</c> so they can never collide with real ones. They are
/// never hit by faults, write errors to stderr with exit 2, and print UTF-8 regardless of settings.
/// </summary>
internal static class SimCommands
{
    private const int MaxInitCount = 10_000;

    public static bool IsSimCommand(string? command) =>
        command is not null && command.StartsWith("sim:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Runs under the state lock.</summary>
    public static InvocationResult Execute(SimPaths paths, ParsedArgs args) => args.Command!.ToLowerInvariant() switch
    {
        "sim:init" => Init(paths, args),
        "sim:advance" => Advance(paths, args),
        "sim:state" => PrintState(paths),
        "sim:fault" => Fault(paths, args),
        _ => InvocationResult.SimError("unknown simulator command '" + args.Command + "' (sim:init, sim:advance, sim:state, sim:fault)"),
    };

    /// <summary>
    /// <c>sim:init --count N [--profile LD4|LD9|LD14] [--encoding utf8|gbk] [--boot-delay-ms N]
    /// [--adb-delay-ms N] [--title-prefix T]</c>: wipes <c>vms/</c>, state, faults and journal, writes
    /// settings.json (unspecified fields take defaults) and N stopped instances 0..N-1.
    /// </summary>
    private static InvocationResult Init(SimPaths paths, ParsedArgs args)
    {
        var count = OptionalInt(args, "count") ?? 1;
        if (count > MaxInitCount)
        {
            throw new SimUsageException("--count must be at most " + MaxInitCount.ToString(CultureInfo.InvariantCulture));
        }

        var settings = new SimSettings
        {
            Profile = EffectiveSettings.FormatProfile(EffectiveSettings.ParseProfile(args.Get("profile") ?? "LD9")),
            Encoding = EffectiveSettings.FormatEncoding(EffectiveSettings.ParseEncoding(args.Get("encoding") ?? "utf8")),
            BootDelayMs = OptionalInt(args, "boot-delay-ms") ?? SimSettings.DefaultBootDelayMs,
            AdbDelayMs = OptionalInt(args, "adb-delay-ms") ?? SimSettings.DefaultAdbDelayMs,
            TitlePrefix = args.Get("title-prefix") is { Length: > 0 } prefix ? prefix : SimSettings.DefaultTitlePrefix,
        };

        if (Directory.Exists(paths.VmsDir))
        {
            Directory.Delete(paths.VmsDir, recursive: true);
        }

        File.Delete(paths.State);
        FaultStore.Clear(paths);
        Journal.Reset(paths);
        EffectiveSettings.WriteStored(paths, settings);

        var effective = EffectiveSettings.Load(paths);
        var install = new InstallStore(paths);
        var world = new SimWorld(effective, new SimState(), install);
        var profile = Profiles.Profile.For(EffectiveSettings.ParseProfile(settings.Profile));
        for (var index = 0; index < count; index++)
        {
            install.SaveConfig(index, InstanceConfigFactory.CreateFull(profile, world.DefaultTitle(index)));
            install.CreateInstanceDir(index, copyFrom: null);
        }

        install.SaveGlobal(InstanceConfigFactory.CreateGlobal());
        install.Commit();
        new StateStore(paths).Save(world.State);
        return InvocationResult.Ok([]);
    }

    /// <summary><c>sim:advance --ms N</c>: moves the virtual clock (N may be negative).</summary>
    private static InvocationResult Advance(SimPaths paths, ParsedArgs args)
    {
        if (args.Get("ms") is not { } text
            || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
        {
            throw new SimUsageException("sim:advance needs --ms <integer>");
        }

        var store = new StateStore(paths);
        var state = store.Load();
        state.ClockOffsetMs += ms;
        store.Save(state);
        return InvocationResult.Ok([]);
    }

    private static InvocationResult PrintState(SimPaths paths)
    {
        var settings = EffectiveSettings.Load(paths);
        var state = new StateStore(paths).Load();
        var world = new SimWorld(settings, state, new InstallStore(paths));
        var view = new StateView
        {
            NowUtc = FormatTime(world.NowMs),
            ClockOffsetMs = state.ClockOffsetMs,
            Profile = EffectiveSettings.FormatProfile(settings.Profile),
            Encoding = EffectiveSettings.FormatEncoding(settings.Encoding),
            BootDelayMs = settings.BootDelayMs,
            AdbDelayMs = settings.AdbDelayMs,
            TitlePrefix = settings.TitlePrefix,
            Instances = [.. world.All().Select(instance => ToView(world, instance))],
            Faults = FaultStore.Load(paths).Faults,
        };
        var json = SimJson.Serialize(view, SimJsonContext.Default.StateView, indented: true);
        return InvocationResult.Ok([.. json, (byte)'\n']);
    }

    /// <summary><c>sim:fault --kind K [--command C] [--count N]</c> adds a fault; <c>sim:fault --clear</c> removes all.</summary>
    private static InvocationResult Fault(SimPaths paths, ParsedArgs args)
    {
        if (args.Has("clear"))
        {
            FaultStore.Clear(paths);
            return InvocationResult.Ok([]);
        }

        if (args.Get("kind") is not { Length: > 0 } kindText)
        {
            throw new SimUsageException("sim:fault needs --kind <hang|crash|garbage|slow-boot|session0|empty-list2> or --clear");
        }

        var count = OptionalInt(args, "count");
        if (count is 0)
        {
            throw new SimUsageException("--count must be positive");
        }

        var file = FaultStore.Load(paths);
        file.Faults.Add(new FaultEntry
        {
            Kind = FaultNames.Format(FaultNames.Parse(kindText)),
            Command = args.Get("command") is { Length: > 0 } command ? command.ToLowerInvariant() : null,
            Remaining = count,
        });
        FaultStore.Save(paths, file);
        return InvocationResult.Ok([]);
    }

    private static InstanceView ToView(SimWorld world, Instance instance)
    {
        var runtime = instance.Runtime;
        var (width, height, dpi) = instance.Resolution(world.Profile);
        return new InstanceView
        {
            Index = instance.Index,
            Title = instance.Title,
            Phase = instance.Phase switch
            {
                InstancePhase.Stopped => "stopped",
                InstancePhase.Booting => "booting",
                InstancePhase.AndroidStarted => "android-started",
                _ => "ready",
            },
            LaunchedAtUtc = runtime.LaunchedAtMs is { } launched ? FormatTime(launched) : null,
            BootDelayMs = runtime.BootDelayMs,
            AdbDelayMs = runtime.AdbDelayMs,
            PlayerPid = runtime.PlayerPid,
            VboxPid = runtime.VboxPid,
            TopHwnd = runtime.TopHwnd,
            BindHwnd = runtime.BindHwnd,
            Width = width,
            Height = height,
            Dpi = dpi,
            AdbSerial = Guest.AdbSerial(instance.Index),
            Packages = runtime.Packages,
            RunningApps = world.RunningApps(instance),
            Props = runtime.Props,
            CpuRate = runtime.CpuRate,
            Location = runtime.Location,
            Network = runtime.Network,
            LastAction = runtime.LastAction,
        };
    }

    private static string FormatTime(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("O", CultureInfo.InvariantCulture);

    private static int? OptionalInt(ParsedArgs args, string option)
    {
        if (!args.Has(option))
        {
            return null;
        }

        return args.GetInt(option) ?? throw new SimUsageException("--" + option + " must be a non-negative integer");
    }
}
