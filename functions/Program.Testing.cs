// Lets WebApplicationFactory<Program> reach the top-level-statements entry point from the test projects.
public partial class Program;
