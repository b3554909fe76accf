using BenchmarkDotNet.Running;

// Micro-benchmarks of the engine's hot paths, grouped by subsystem:
//   dotnet run -c Release --project benchmarks/Micro -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
