using System.Globalization;
using System.Text.Json;
using LdFleet.Cli.Api;
using Spectre.Console;

namespace LdFleet.Cli.Output;

/// <summary>A table column: header and how to read the cell from an item.</summary>
internal sealed record Column(string Header, Func<JsonElement, string> Value)
{
    public static Column Of(string header, string property) => new(header, e => Fields.Of(e, property));
}

/// <summary>Tables (Spectre) for people, the API's JSON for scripts (<c>--json</c>).</summary>
internal sealed class ConsoleOutput
{
    public ConsoleOutput(bool json)
    {
        Json = json;
        Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        if (System.Console.IsOutputRedirected)
        {
            // Redirected output has no width; 80 columns would wrap every table row in a log or a pipe.
            Console.Profile.Width = 240;
        }
    }

    public bool Json { get; }

    public IAnsiConsole Console { get; }

    /// <summary>Whether live rendering (progress bars) is possible: a terminal on stdout that understands cursor moves.</summary>
    public bool Interactive => !System.Console.IsOutputRedirected && Console.Profile.Capabilities.Interactive && Console.Profile.Capabilities.Ansi;

    public static void WriteJson(JsonElement element) => System.Console.Out.WriteLine(JsonSerializer.Serialize(element, Api.Json.Indented));

    public static void WriteJson(IEnumerable<JsonElement> items) => System.Console.Out.WriteLine(JsonSerializer.Serialize(items, Api.Json.Indented));

    /// <summary>Prints a listing as a table or JSON; a hint on stderr when more pages exist.</summary>
    public void List(IReadOnlyList<JsonElement> items, bool more, params Column[] columns)
    {
        if (Json)
        {
            WriteJson(items);
        }
        else
        {
            var table = new Table().Border(TableBorder.Simple);
            foreach (var column in columns)
            {
                table.AddColumn(new TableColumn(Markup.Escape(column.Header)).NoWrap());
            }

            foreach (var item in items)
            {
                table.AddRow(columns.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c.Value(item))).ToArray());
            }

            Console.Write(table);
            if (items.Count == 0)
            {
                System.Console.Error.WriteLine("(none)");
            }
        }

        if (more)
        {
            System.Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Showing the first {items.Count}; more exist: use --all or a larger --limit."));
        }
    }

    /// <summary>Prints one object: JSON, or its top-level fields as a two-column grid.</summary>
    public void Item(JsonElement item)
    {
        if (Json || item.ValueKind != JsonValueKind.Object)
        {
            WriteJson(item);
            return;
        }

        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var property in item.EnumerateObject())
        {
            grid.AddRow(new Text(property.Name, new Style(decoration: Decoration.Bold)), new Text(Fields.Format(property.Value)));
        }

        Console.Write(grid);
    }

    /// <summary>A human message: to stderr under --json so stdout stays parseable.</summary>
    public void Note(string message)
    {
        if (Json)
        {
            System.Console.Error.WriteLine(message);
        }
        else
        {
            System.Console.Out.WriteLine(message);
        }
    }
}

/// <summary>Reading JSON values as display text.</summary>
internal static class Fields
{
    public static string Of(JsonElement element, string path)
    {
        var current = element;
        foreach (var name in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return "";
            }
        }

        return Format(current);
    }

    public static string Format(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        // A flat object (a host's circuit, an emulator's labels) reads as key=value pairs; its null fields are left out.
        JsonValueKind.Object when value.EnumerateObject().All(p => p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null) =>
            string.Join(", ", value.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => $"{p.Name}={Format(p.Value)}")),
        JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Number) =>
            string.Join(", ", value.EnumerateArray().Select(Format)),
        _ => value.GetRawText(),
    };

    public static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.TryGetInt32(out var n) ? n : 0;

    public static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
