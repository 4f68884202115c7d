using System.Globalization;
using System.Text;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary><c>list</c>, <c>list2</c>, <c>runninglist</c>, <c>isrunning</c> (§2.3 Query, §3.1–§3.3).</summary>
internal static class QueryCommands
{
    public static int List(CommandContext context)
    {
        foreach (var instance in context.World.All())
        {
            context.Out.WriteLine(instance.Title);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// <c>index,title,topHwnd,bindHwnd,state,dnplayerPid,vboxPid[,w,h,dpi]</c>, decimal, CRLF after
    /// every row. While booting the PIDs and handles are already set and column 4 is 0; it turns 1
    /// after the boot delay (never 2, whose meaning sources dispute).
    /// </summary>
    public static int List2(CommandContext context)
    {
        if (context.Faults.EmptyList2)
        {
            return ExitCodes.Success;
        }

        foreach (var instance in context.World.All())
        {
            context.Out.WriteLine(FormatRow(context, instance));
        }

        return ExitCodes.Success;
    }

    public static int RunningList(CommandContext context)
    {
        foreach (var instance in context.World.All())
        {
            if (AppearsRunning(context, instance))
            {
                context.Out.WriteLine(instance.Title);
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// <c>running</c> as soon as the player process exists (booting included), else <c>stop</c>;
    /// missing or non-numeric index → <c>stop</c>, rc 0. Terminator per profile (§3.3).
    /// </summary>
    public static int IsRunning(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        var running = instance is not null && AppearsRunning(context, instance);
        context.Out.Write((running ? "running" : "stop") + context.Profile.IsRunningTerminator);
        return ExitCodes.Success;
    }

    /// <summary>§4.8: from session 0 the CLI reports every instance stopped.</summary>
    private static bool AppearsRunning(CommandContext context, Instance instance) =>
        instance.IsRunning && !context.Faults.Session0;

    private static string FormatRow(CommandContext context, Instance instance)
    {
        var runtime = instance.Runtime;
        var running = AppearsRunning(context, instance);
        var row = new StringBuilder();
        row.Append(instance.Index.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(instance.Title).Append(',');
        if (running)
        {
            var entered = instance.Phase is InstancePhase.AndroidStarted or InstancePhase.Ready ? 1 : 0;
            row.Append(CultureInfo.InvariantCulture, $"{runtime.TopHwnd},{runtime.BindHwnd},{entered},{runtime.PlayerPid},{runtime.VboxPid}");
        }
        else
        {
            row.Append("0,0,0,-1,-1");
        }

        if (context.Profile.List2Columns == 10)
        {
            var (width, height, dpi) = instance.Resolution(context.Profile);
            row.Append(CultureInfo.InvariantCulture, $",{width},{height},{dpi}");
        }

        return row.ToString();
    }
}
