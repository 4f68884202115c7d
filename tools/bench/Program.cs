using LdFleet.Bench;

// Benchmarks print figures; they never pass or fail. Every figure is reported next to a baseline measured
// in the same run, so results read as ratios that survive a slower or busier machine.
var suite = args.FirstOrDefault() ?? "driver";
var iterations = args.Length > 1 && int.TryParse(args[1], out var n) ? n : 200;
var outputDir = Path.Combine(BenchPaths.Root, "artifacts", "bench");
Directory.CreateDirectory(outputDir);

switch (suite)
{
    case "all":
        // One stack, every figure, one table: `all` (full profile) or `all --quick` (minutes).
        return await FullBench.RunAsync(args.Contains("--quick") ? BenchProfile.Quick : BenchProfile.Full, outputDir);
    case "batch":
        // One batch of the full profile on its own: `batch 10000 [boot delay ms]`.
        var bootMs = args.Length > 2 && int.TryParse(args[2], out var b) ? b : BenchProfile.Full.BootDelayMs;
        return await FullBench.RunBatchAsync(BenchProfile.Full with { BootDelayMs = bootMs }, iterations, outputDir);
    case "driver":
        var report = await DriverOverheadBench.RunAsync(iterations);
        report.Write(Console.Out, outputDir);
        return 0;
    case "e2e":
        var e2e = await EndToEndBench.RunAsync(iterations);
        e2e.Write(Console.Out, outputDir);
        return 0;
    case "engine":
        var engine = await EngineBench.RunAsync(iterations);
        engine.Write(Console.Out, outputDir);
        return 0;
    case "api":
        var api = await ApiBench.RunAsync(iterations);
        api.Write(Console.Out, outputDir);
        return 0;
    default:
        Console.Error.WriteLine($"Unknown suite '{suite}'. Suites: all [--quick], batch <size> [boot delay ms], driver, e2e, engine, api");
        return 2;
}
