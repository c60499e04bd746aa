package jango.channel;
