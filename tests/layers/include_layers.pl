#!/usr/bin/env perl
# Checks that the library's folders include only folders below them (the
# layers of doc/architecture.md), that no file reaches into another folder
# with a relative include, and that benchmarks/ and examples/ include public
# headers only.
#   perl include_layers.pl SOURCE_DIR
use strict;
use warnings;
use File::Find;
use File::Spec;

my ($root) = @ARGV;
die "usage: perl include_layers.pl SOURCE_DIR\n" unless defined $root && -d $root;

# Each folder with its layer: a folder may include its own headers and those
# of folders on lower layers; folders on one layer do not include each other.
my %layer = (
  base           => 0,
  constraints    => 1,
  conservation   => 1,
  models         => 2,
  solvers        => 3,
  problems       => 4,
  training       => 5,
  postprocessors => 5,
  driver         => 6,
);

my (@errors, %seen, $checked);
for my $top ('source', 'include/dealii-learned', 'benchmarks', 'examples', 'plugin')
{
  my $dir = File::Spec->catdir($root, $top);
  next unless -d $dir;
  find(sub {
    return unless -f $_ && /\.(cc|h)$/;
    my $file = File::Spec->abs2rel($File::Find::name, $root);
    my $from;
    if ($file =~ m{^(?:source|include/dealii-learned)/([^/]+)/})
    {
      $from = $1;
      push @errors, "$file: folder '$from' has no layer (add it to "
                    . "tests/layers/include_layers.pl and doc/architecture.md)"
        unless exists $layer{$from};
    }
    open my $in, '<', $_ or die "$file: $!";
    ++$checked;
    while (my $line = <$in>)
    {
      next unless $line =~ /^\s*#\s*include\s*([<"])([^>"]+)[>"]/;
      my ($kind, $path) = ($1, $2);
      if ($kind eq '"' && $path =~ m{\.\./})
      {
        push @errors, "$file:$.: relative include \"$path\" reaches into another "
                      . "folder; include a public header <dealii-learned/...> instead";
        next;
      }
      next unless $path =~ m{^dealii-learned/([^/]+)/};
      my $to = $1;
      next unless defined $from && exists $layer{$from};
      $seen{"$from -> $to"} = 1;
      if (!exists $layer{$to})
      {
        push @errors, "$file:$.: includes unknown folder '$to'";
      }
      elsif ($to ne $from && $layer{$to} >= $layer{$from})
      {
        push @errors, "$file:$.: '$from' (layer $layer{$from}) includes '$to' "
                      . "(layer $layer{$to}); a folder may include only lower layers";
      }
    }
  }, $dir);
}
die "no source files found under $root\n" unless $checked;
print "$checked files checked; folder includes:\n";
print "  $_\n" for sort keys %seen;
die "include layering violated:\n", map("  $_\n", @errors) if @errors;
print "every include points down\n";
